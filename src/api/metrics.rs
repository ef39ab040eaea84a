//! `/metrics` on the metrics listener: the process's counters (`crate::telemetry`) with the
//! gauges read at each scrape — pool usage, the outbox's backlog, and per organization the
//! open, due-today and overdue appeals from the statistics rollup (a few rows per registration
//! day, never the appeals themselves).

use super::AppState;
use actix_web::{web, HttpResponse};

/// Sets the gauges from the database and answers the text format. A database that does not
/// answer leaves the gauges as the last scrape set them and is logged; the counters are still
/// served.
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let st = state.clone();
    match web::block(move || refresh(&st)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: database gauges not refreshed"),
        Err(e) => tracing::warn!(error = %e, "metrics: database gauges not refreshed"),
    }
    HttpResponse::Ok().content_type(crate::telemetry::CONTENT_TYPE).body(crate::telemetry::get().encode())
}

/// Reads the gauges' values.
fn refresh(state: &AppState) -> Result<(), crate::store::ServiceError> {
    use crate::store::{outbox, stats_deltas};
    let t = crate::telemetry::get();
    t.build_info.with_label_values(&[env!("CARGO_PKG_VERSION"), state.pool.backend().as_str()]).set(1);
    let usage = state.pool.usage();
    t.pool_connections.with_label_values(&["in_use"]).set(usage.in_use.into());
    t.pool_connections.with_label_values(&["idle"]).set(usage.idle.into());
    t.pool_connections.with_label_values(&["max"]).set(usage.max.into());
    let now = state.now_naive();
    let backlog = outbox::backlog(&state.pool, now)?;
    t.outbox.with_label_values(&["pending"]).set(backlog.pending);
    t.outbox.with_label_values(&["failed"]).set(backlog.failed);
    t.outbox_oldest_pending.set(backlog.oldest_due.map_or(0.0, |d| (now - d).num_milliseconds().max(0) as f64 / 1000.0));
    for org in outbox::organizations(&state.pool)? {
        if !stats_deltas::is_built(&state.pool, &org.id)? {
            continue;
        }
        let tz: chrono_tz::Tz = org.time_zone.parse().unwrap_or(state.settings.time_zone());
        let today = state.now().with_timezone(&tz).date_naive();
        let (mut open, mut due_today, mut overdue) = (0, 0, 0);
        for (due, n) in stats_deltas::open_by_deadline(&state.pool, &org.id, today)? {
            open += n;
            match due.parse::<chrono::NaiveDate>() {
                Ok(d) if d == today => due_today += n,
                Ok(d) if d < today => overdue += n,
                _ => {}
            }
        }
        for (kind, n) in [("open", open), ("due_today", due_today), ("overdue", overdue)] {
            t.open_appeals.with_label_values(&[org.code.as_str(), kind]).set(n);
        }
    }
    Ok(())
}
