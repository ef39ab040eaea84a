//! `appeals`: the registry and control workflow of citizens' appeals under Federal Law 59-FZ.
//!
//! Floors, from the bottom (a module imports its own floor and those below; [`architecture`]
//! checks it on every `cargo test`):
//! - [`domain`]: the law's and the service's rules as pure code (deadlines, workflow, the
//!   classifier, counting conventions, what one appeal adds to the statistics, error codes,
//!   Russian wording); with the small pure helpers
//!   [`clock`], [`memory`], [`csv`], [`templates`], [`auth`] (tokens, passwords, throttling),
//!   [`telemetry`] (the Prometheus series);
//! - [`config`]: the settings;
//! - [`store`]: diesel over SQLite or PostgreSQL; queries and transactions, no decisions;
//! - [`notify`] (letters from templates, mail), [`files`] (private files on disk) and
//!   [`classifier_index`] (the classifier found by the words on a letter);
//! - [`state`]: what every request and job shares (pool, settings, calendars, templates), and
//!   [`intake`]: a draft checked and turned into a card's rows (registration, import, correction),
//!   and a legacy journal's file read into rows (`intake::legacy`);
//! - the use cases, peers that do not call one another: [`organizations`] (a region's bodies in
//!   one instance), [`registry`] (registration, imports,
//!   the legacy journal),
//!   [`control`] (every control action, typed as `control::command::Command`), [`queries`]
//!   (reads several interfaces share: showing a card, the registry, the queue, the board), [`reports`]
//!   (statistics, annual report, ССТУ.РФ and ГАСУ), [`scheduler`] (reminders);
//! - [`edge`]: what the API and the pages share about a request (caller, body, parameters,
//!   card views, errors);
//! - [`api`] (JSON over HTTP) and [`web`] (server-rendered pages), which never import each other;
//! - [`app`]: start-up and the assembled application; then the binary's commands and [`demo`].

pub mod auth;
pub mod campaigns;
pub mod config;
pub mod csv;
pub mod files;
pub mod intake;
pub mod domain;
pub mod store;
pub mod api;
pub mod architecture;
pub mod app;
pub mod classifier_index;
pub mod clock;
pub mod memory;
pub mod control;
pub mod demo;
pub mod registry;
pub mod organizations;
pub mod edge;
pub mod notify;
pub mod scheduler;
pub mod queries;
pub mod reports;
pub mod state;
pub mod telemetry;
pub mod templates;
pub mod web;
