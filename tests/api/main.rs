//! Black-box HTTP tests of `appeals`, one binary with a module per area (one link on 2 cores).
//! Every test runs on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL; without it
//! the PostgreSQL cases are reported as ignored, not as passed.

#[macro_use]
mod support;
mod answer_file_versions;
mod backup;
mod bulk;
mod campaigns;
mod contract;
mod control;
mod deadlines;
mod demo;
mod distribution_keys;
mod ended_access;
mod hardening;
mod headers_csv;
mod legacy_import;
mod exports;
mod forward_between;
mod reception;
mod reception_contacts;
mod notifications;
mod operations;
mod region_export;
mod registry;
mod region_stats;
mod scale;
mod search;
mod security;
mod signin_throttle;
mod sstu_connector;
mod startup_files;
mod stats;
mod tenants;
mod time_zones;
mod web;
mod visibility_first;
mod workflow;
