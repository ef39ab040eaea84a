//! The web pages for clerks, executors and supervisors: server-rendered Russian
//! HTML that works without JavaScript. Handlers are thin: they read the session, parse the form
//! into the API's own input types (so the same Russian field errors come back), and call the
//! same registry, control and store functions as the API.

pub mod bar;
pub mod bulk;
pub mod form;
pub mod forms;
pub mod pages;
pub mod session;
pub mod signin_guard;

pub use pages::Pages;

use actix_web::web;

/// Registers the page routes (before the API's fallback).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/login", web::post().to(session::login))
        .route("/logout", web::post().to(session::logout))
        .route("/static/app.css", web::get().to(pages::css))
        .route("/static/app.js", web::get().to(pages::js))
        .route("/appeals", web::get().to(pages::registry))
        .route("/registry.csv", web::get().to(pages::registry_csv))
        .route("/appeals/new", web::get().to(forms::new_form))
        .route("/appeals/new", web::post().to(forms::register))
        .route("/appeals/bulk", web::post().to(bulk::choose))
        .route("/appeals/bulk/do", web::post().to(bulk::apply))
        .route("/appeals/{id}", web::get().to(pages::card))
        .route("/appeals/{id}/print", web::get().to(pages::print))
        .route("/appeals/{id}/do/{action}", web::post().to(forms::act))
        .route("/me", web::get().to(pages::my_queue))
        .route("/statistics", web::get().to(pages::statistics))
        .route("/organization", web::get().to(session::pick_organization))
        .route("/classifier/suggest", web::get().to(pages::suggest));
}
