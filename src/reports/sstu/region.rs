//! The regional ССТУ.РФ export: one ZIP for the region holding, per active organization that
//! has appeals to report, exactly the files of that organization's own `format=zip` export
//! (each part its own entry `<code>/sstu-<month>-<k>-of-<n>.zip`), and `manifest.json`
//! listing every active organization (those with nothing to send too, so none is missing
//! unnoticed).
//!
//! Every organization is checked before the first byte ([`check_region`]): one organization's
//! bad data, or its missing department GUID, refuses the whole file with errors naming the
//! organization's code, since a regional supervisor who uploads a file without one
//! organization's month would report that month as empty. Then [`write_region`] runs each
//! organization's own export, part by part, straight into the outer ZIP's entry: each is logged
//! as that organization's export (so its `since_last` goes on from it) with the regional actor,
//! and at most one organization's chunk of cards is in memory at a time.

use super::{check_month, export_to, ExportError, MonthCheck, Request, Violation};
use crate::state::{AppState, OrgSettings};
use serde::Serialize;
use std::io::Write;
use std::sync::Arc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// One organization of the region, checked.
pub struct Member {
    /// Its settings (department GUID, code, name).
    pub org: Arc<OrgSettings>,
    /// What its checking pass found.
    pub check: MonthCheck,
}

/// What `manifest.json` says of one organization.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestOrg {
    /// Organization id.
    pub id: String,
    /// Its code: the folder of its files in the ZIP.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The ССТУ.РФ department GUID its objects carry.
    pub department_id: Option<String>,
    /// Objects sent.
    pub items: usize,
    /// Appeals the settings skip (listed in its export log with the reason).
    pub skipped: usize,
    /// Parts of its export (0: nothing to send, no file).
    pub parts: u32,
    /// Its entries in the ZIP, part 1 first.
    pub files: Vec<String>,
}

/// The `organizations[<code>].<field>` name a regional error gives a field of one
/// organization's object.
fn field_of(code: &str, field: &str) -> String {
    format!("organizations[{code}].{field}")
}

/// Checks every active organization's month (by code): the members, or every violation of the
/// region with its organization's code in `field` and the appeal's `reg_number`. An
/// organization with appeals to send but no valid department GUID is one error of its own
/// (not one per appeal); one with nothing to send needs none.
pub fn check_region(state: &AppState, month: &str, since_last: bool) -> Result<Vec<Member>, ExportError> {
    let mut members = Vec::new();
    let mut violations = Vec::new();
    for row in crate::store::organizations::list(&state.pool)?.into_iter().filter(|r| r.active) {
        let org = state.org(&row.id);
        let mut check = check_month(state, &org.id, month, since_last)?;
        let guid_ok = org.sstu_department_id.as_deref().is_some_and(super::is_guid);
        if check.items > 0 && !guid_ok {
            violations.push(Violation {
                reg_number: String::new(),
                field: field_of(&org.code, "departmentId"),
                message: format!("у организации «{}» не задан или задан неверно идентификатор подразделения в ССТУ.РФ (GUID): укажите его в настройках организации", org.name),
            });
            check.violations.retain(|v| v.field != "departmentId");
        }
        violations.extend(check.violations.drain(..).map(|v| Violation { field: field_of(&org.code, &v.field), ..v }));
        members.push(Member { org, check });
    }
    if violations.is_empty() {
        Ok(members)
    } else {
        Err(ExportError::Invalid(violations))
    }
}

/// The entry of one part of an organization's export: the name its own download has, in a
/// folder named by its code.
pub fn entry_name(code: &str, month: &str, part: u32, parts: u32) -> String {
    format!("{code}/sstu-{month}-{part}-of-{parts}.zip")
}

/// Writes the region's ZIP into `w`: for each member with objects to send, every part of its
/// own ZIP export (run, checked and logged as its own export, with `actor`), stored as is; then
/// `manifest.json`. Returns the writer and the manifest. A failure midway leaves the earlier
/// organizations' parts logged, as their own downloads would have been.
pub fn write_region<W: Write>(state: &AppState, members: &[Member], actor: Option<&str>, month: &str, since_last: bool, w: W) -> Result<(W, Vec<ManifestOrg>), ExportError> {
    let broken = |e: zip::result::ZipError| ExportError::Interrupted(e.to_string());
    // The parts are ZIPs already: stored, not deflated again. A part larger than 4 GiB would need ZIP64.
    let large = state.settings.sstu.part_limit() as u64 >= u32::MAX as u64 / 2;
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored).last_modified_time(DateTime::DEFAULT).unix_permissions(0o644).large_file(large);
    let mut zip = ZipWriter::new_stream(w);
    let mut manifest = Vec::with_capacity(members.len());
    for m in members {
        let org = &m.org;
        let mut entry = ManifestOrg { id: org.id.clone(), code: org.code.clone(), name: org.name.clone(), department_id: org.sstu_department_id.clone(), items: 0, skipped: m.check.skipped, parts: 0, files: Vec::new() };
        if m.check.items > 0 {
            let mut part = 1;
            let mut parts = 1;
            while part <= parts {
                let req = Request { month: month.into(), since_last, zip: true, part };
                let outer = &mut zip;
                let mut name = String::new();
                let open = |plan: &super::Plan| {
                    name = entry_name(&org.code, month, plan.part, plan.parts);
                    outer.start_file(name.as_str(), stored).map_err(broken)?;
                    Ok(outer)
                };
                let done = export_to(state, &org.id, actor, &req, open, |_| Ok(None))?;
                parts = done.plan.parts;
                entry.items += done.items;
                entry.skipped = done.plan.skipped.len();
                entry.parts = parts;
                entry.files.push(name);
                part += 1;
            }
        }
        manifest.push(entry);
    }
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(DateTime::DEFAULT).unix_permissions(0o644);
    zip.start_file("manifest.json", deflated).map_err(broken)?;
    let json = serde_json::to_vec_pretty(&serde_json::json!({"month": month, "since_last": since_last, "organizations": manifest})).map_err(|e| ExportError::Interrupted(e.to_string()))?;
    zip.write_all(&json).map_err(|e| ExportError::Interrupted(e.to_string()))?;
    let mut w = zip.finish().map_err(broken)?.into_inner();
    w.flush().map_err(|e| ExportError::Interrupted(e.to_string()))?;
    Ok((w, manifest))
}
