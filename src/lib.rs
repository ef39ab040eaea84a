//! `appeals`: the registry and control workflow of citizens' appeals under Federal Law 59-FZ.
//!
//! Layers: [`api`] (actix-web handlers: parse, authorize, call the domain, map errors) →
//! [`domain`] (pure rules) → [`store`] (diesel over SQLite or PostgreSQL).

pub mod auth;
pub mod config;
pub mod csv;
pub mod files;
pub mod domain;
pub mod store;
pub mod api;
pub mod app;
pub mod clock;
pub mod memory;
pub mod control;
pub mod demo;
pub mod registry;
pub mod edge;
pub mod notify;
pub mod scheduler;
pub mod queries;
pub mod reports;
pub mod state;
pub mod web;
