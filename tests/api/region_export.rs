//! The regional ССТУ.РФ export: each organization's file carries its own department GUID, and
//! `organization=all` gives the region's supervisor one ZIP with, per organization, exactly the
//! files of its own export, a manifest naming every organization, and refusals that name the
//! organization at fault.

use crate::exports::{answered, path, OWN};
use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

const GUID_B: &str = "b0b0b0b0-1111-4222-8333-444455556666";
const GUID_C: &str = "c0c0c0c0-1111-4222-8333-444455556666";
/// Small ZIP parts, so that an organization with a few answer files needs several.
const LIMIT: usize = 4000;
const REGION: &str = "/api/v1/exports/sstu?month=2025-03&organization=all";

/// A GET as `token`: status, headers and the exact bytes.
async fn fetch(app: &TestApp, url: &str, token: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut resp = app.srv.get(url).insert_header(("Authorization", format!("Bearer {token}"))).send().await.expect("request sent");
    let headers = resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let bytes = resp.body().limit(256 << 20).await.expect("body read").to_vec();
    (resp.status().as_u16(), headers, bytes)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}"))
}

/// Every entry of a ZIP by name, with its bytes.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().to_string(), b)
        })
        .collect()
}

/// The objects of one organization's files: appeal id (the entry's GUID) → object.
fn objects(files: &[&Vec<u8>]) -> BTreeMap<String, Value> {
    files.iter().flat_map(|f| unzip(f)).map(|(name, b)| (name.trim_end_matches(".json").to_string(), serde_json::from_slice(&b).expect("one JSON object per entry"))).collect()
}

/// The region's ZIP as the regional supervisor gets it: its entries, and `manifest.json` parsed.
async fn region(app: &TestApp, query: &str) -> (BTreeMap<String, Vec<u8>>, Value) {
    let (status, headers, bytes) = fetch(app, &format!("{REGION}{query}"), &app.regional_supervisor).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(header(&headers, "Content-Type"), "application/zip");
    assert_eq!(header(&headers, "Content-Disposition"), "attachment; filename=\"sstu-2025-03-region.zip\"");
    let entries = unzip(&bytes);
    let manifest = serde_json::from_slice(entries.get("manifest.json").expect("manifest.json")).unwrap();
    (entries, manifest)
}

/// The manifest's row of one organization.
fn row<'a>(manifest: &'a Value, id: &str) -> &'a Value {
    manifest["organizations"].as_array().unwrap().iter().find(|o| o["id"] == id).unwrap_or_else(|| panic!("{id} missing from {manifest}"))
}

/// Registers `n` appeals in another organization as its clerk: their ids.
async fn register_in(app: &TestApp, o: &OtherOrg, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let r = app.call("POST", "/api/v1/appeals", Some(&o.token("clerk")), Some(&appeal(json!({})))).await;
        assert_eq!(r.status, 201, "{}", r.json);
        ids.push(r.json["id"].as_str().unwrap().to_string());
    }
    ids
}

async fn set_guid(app: &TestApp, org: &str, guid: &str) {
    let r = app.call("PATCH", &format!("/api/v1/organizations/{org}"), Some(&app.regional_admin), Some(&json!({"sstu_department_id": guid}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

both_backends!(each_organization_exports_its_own_guid_and_the_region_gets_each_ones_files);
async fn each_organization_exports_its_own_guid_and_the_region_gets_each_ones_files(db: Db) {
    let app = TestApp::start_with(db, |s| {
        s.sstu.department_id = Some(OWN.into());
        s.sstu.zip_part_bytes = LIMIT;
    })
    .await;
    // A: the first organization, with the config file's GUID and enough answer files for several parts.
    let pdf: Vec<u8> = [crate::exports::PDF, &[b'x'; 900][..]].concat();
    let mut ids_a = Vec::new();
    for i in 0..5 {
        let a = app.register(json!({})).await;
        let id = a["id"].as_str().unwrap().to_string();
        if i < 4 {
            answered(&app, &id, "explained", &pdf).await;
        }
        ids_a.push(id);
    }
    // B with its own GUID and two appeals; C with its own GUID and none.
    let b = app.second_org("rgb").await;
    let c = app.second_org("rgc").await;
    set_guid(&app, &b.id, GUID_B).await;
    set_guid(&app, &c.id, GUID_C).await;
    let ids_b = register_in(&app, &b, 2).await;

    // Each organization's own export carries its own GUID (B's own, A's the config file's).
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&b.token("supervisor")), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|o| o["departmentId"] == GUID_B), "{}", r.json);
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json["items"].as_array().unwrap().iter().all(|o| o["departmentId"] == OWN), "{}", r.json);
    let r = app.call("GET", &format!("/api/v1/exports/sstu?month=2025-03&organization={}", b.id), Some(&app.regional_supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json["items"].as_array().unwrap().iter().all(|o| o["departmentId"] == GUID_B));

    // The region: one folder per organization with appeals, every part of its export, and the manifest.
    let (entries, manifest) = region(&app, "").await;
    assert_eq!(manifest["month"], "2025-03");
    let (ra, rb, rc) = (row(&manifest, &app.org), row(&manifest, &b.id), row(&manifest, &c.id));
    let code_a = ra["code"].as_str().unwrap().to_string();
    assert_eq!((ra["department_id"].as_str(), ra["items"].as_u64()), (Some(OWN), Some(5)));
    assert_eq!((rb["code"].as_str(), rb["department_id"].as_str(), rb["items"].as_u64(), rb["parts"].as_u64()), (Some("rgb"), Some(GUID_B), Some(2), Some(1)));
    assert_eq!((rc["department_id"].as_str(), rc["items"].as_u64(), rc["parts"].as_u64()), (Some(GUID_C), Some(0), Some(0)));
    assert_eq!(rc["files"], json!([]), "nothing to send: no file, but listed");
    let parts_a = ra["parts"].as_u64().unwrap() as u32;
    assert!(parts_a > 1, "A needs several parts: {manifest}");
    let mut want: Vec<String> = (1..=parts_a).map(|k| format!("{code_a}/sstu-2025-03-{k}-of-{parts_a}.zip")).collect();
    want.push("manifest.json".into());
    want.push("rgb/sstu-2025-03-1-of-1.zip".into());
    want.sort();
    assert_eq!(entries.keys().cloned().collect::<Vec<_>>(), want);
    assert_eq!(ra["files"], json!(want.iter().filter(|n| n.starts_with(&format!("{code_a}/"))).collect::<Vec<_>>()));

    // Each organization's files: its GUID, its appeals and none of the other's.
    let files_a: Vec<&Vec<u8>> = entries.iter().filter(|(n, _)| n.starts_with(&format!("{code_a}/"))).map(|(_, b)| b).collect();
    let objs_a = objects(&files_a);
    let objs_b = objects(&[&entries["rgb/sstu-2025-03-1-of-1.zip"]]);
    assert_eq!(objs_a.keys().cloned().collect::<Vec<_>>(), { let mut v = ids_a.clone(); v.sort(); v });
    assert_eq!(objs_b.keys().cloned().collect::<Vec<_>>(), { let mut v = ids_b.clone(); v.sort(); v });
    assert!(objs_a.values().all(|o| o["departmentId"] == OWN));
    assert!(objs_b.values().all(|o| o["departmentId"] == GUID_B));
    assert_eq!(objs_a.values().filter(|o| o["questions"][0]["attachment"]["content"].is_string()).count(), 4);

    // Exactly the bytes each organization's own ZIP export gives, part by part.
    for k in 1..=parts_a {
        let (status, headers, own) = fetch(&app, &format!("/api/v1/exports/sstu?month=2025-03&format=zip&part={k}"), &app.supervisor).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "Sstu-Parts"), parts_a.to_string());
        assert_eq!(own, entries[&format!("{code_a}/sstu-2025-03-{k}-of-{parts_a}.zip")], "A's part {k}");
    }
    let (status, _, own) = fetch(&app, "/api/v1/exports/sstu?month=2025-03&format=zip", &b.token("supervisor")).await;
    assert_eq!(status, 200);
    assert_eq!(own, entries["rgb/sstu-2025-03-1-of-1.zip"]);

    // Each part is logged as its organization's export, by the regional supervisor; C has none.
    let rs = app.user_id("regional_supervisor");
    let logs_b = appeals::store::exports::export_logs(&app.pool, &b.id, "sstu", "2025-03").unwrap();
    assert!(logs_b.iter().any(|l| l.created_by.as_deref() == Some(rs.as_str()) && l.items == 2 && l.payload.contains("\"format\":\"zip\"")), "{logs_b:?}");
    let parts_logged = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu_part", "2025-03").unwrap();
    assert_eq!(parts_logged.iter().filter(|l| l.created_by.as_deref() == Some(rs.as_str())).count(), parts_a as usize - 1);
    let done_a = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    assert!(done_a.iter().any(|l| l.created_by.as_deref() == Some(rs.as_str())));
    assert!(appeals::store::exports::export_logs(&app.pool, &c.id, "sstu", "2025-03").unwrap().is_empty());

    // A re-export of unchanged data is byte for byte the same.
    let (again, _) = region(&app, "").await;
    assert_eq!(again, entries);
}

both_backends!(since_last_goes_on_per_organization);
async fn since_last_goes_on_per_organization(db: Db) {
    let app = TestApp::start_with(db, |s| s.sstu.department_id = Some(OWN.into())).await;
    app.register(json!({})).await;
    let b = app.second_org("rgb").await;
    set_guid(&app, &b.id, GUID_B).await;
    register_in(&app, &b, 1).await;
    let (entries, _) = region(&app, "&since_last=true").await;
    assert_eq!(entries.len(), 3, "{:?}", entries.keys());
    // Only B changes since: the delta of the region holds B's new appeal alone.
    let added = register_in(&app, &b, 1).await;
    let (entries, manifest) = region(&app, "&since_last=true").await;
    assert_eq!(manifest["since_last"], true);
    assert_eq!(entries.keys().cloned().collect::<Vec<_>>(), ["manifest.json", "rgb/sstu-2025-03-1-of-1.zip"]);
    assert_eq!(objects(&[&entries["rgb/sstu-2025-03-1-of-1.zip"]]).keys().cloned().collect::<Vec<_>>(), added);
    assert_eq!(row(&manifest, &app.org)["items"], 0);
    // The regional run counts as B's own export: B's next delta is empty.
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&b.token("supervisor")), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["items"], json!([]));
}

both_backends!(the_regional_export_is_refused_naming_the_organization);
async fn the_regional_export_is_refused_naming_the_organization(db: Db) {
    // No GUID in the config file: the first organization has none.
    let app = TestApp::start(db).await;
    let a = app.register(json!({})).await;
    let b = app.second_org("rgb").await;
    set_guid(&app, &b.id, GUID_B).await;
    let ids_b = register_in(&app, &b, 2).await;
    // One of B's appeals forwarded to a free-text body: no transfer GUID.
    let r = app.call("POST", &path(&ids_b[1], "/forward"), Some(&b.token("clerk")), Some(&json!({"organization": "Неизвестный орган"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let reg_b: Vec<String> = app.rows::<RegNumber>(&format!("SELECT reg_number FROM appeals WHERE id = '{}'", ids_b[1])).into_iter().map(|r| r.reg_number).collect();

    // Only a regional role with reports reads the region: an organization's own supervisor, B's
    // administrator and the regional administrator get 403.
    for token in [app.supervisor.clone(), b.token("supervisor"), b.token("admin"), app.regional_admin.clone()] {
        app.call("GET", REGION, Some(&token), None).await.assert_problem(403, None);
    }
    let code_a = app.state.org(&app.org).code.clone();
    let r = app.call("GET", REGION, Some(&app.regional_supervisor), None).await;
    r.assert_problem(422, None);
    let mut errors: Vec<(String, String)> = r.json["errors"].as_array().unwrap().iter().map(|e| (e["reg_number"].as_str().unwrap().to_string(), e["field"].as_str().unwrap().to_string())).collect();
    errors.sort();
    assert_eq!(
        errors,
        [(String::new(), format!("organizations[{code_a}].departmentId")), (reg_b[0].clone(), "organizations[rgb].questions[0].transfer.departmentId".to_string())],
        "{}",
        r.json
    );
    assert!(r.json["errors"].as_array().unwrap().iter().any(|e| e["reg_number"] == "" && e["message"].as_str().unwrap().contains("GUID")));
    // Nothing was sent, so nothing is logged for anyone.
    for org in [&app.org, &b.id] {
        assert!(appeals::store::exports::export_logs(&app.pool, org, "sstu", "2025-03").unwrap().is_empty());
    }
    // `part` and the JSON form do not apply to the region's file; the month is still required.
    app.call("GET", &format!("{REGION}&part=1"), Some(&app.regional_supervisor), None).await.assert_problem(422, Some("part"));
    app.call("GET", &format!("{REGION}&format=json"), Some(&app.regional_supervisor), None).await.assert_problem(422, Some("format"));
    app.call("GET", "/api/v1/exports/sstu?organization=all", Some(&app.regional_supervisor), None).await.assert_problem(422, Some("month"));
    // Where the result is one organization's, `all` is refused rather than read as the caller's own.
    app.call("POST", "/api/v1/exports/sstu/push?month=2025-03&organization=all", Some(&app.supervisor), None).await.assert_problem(422, Some("organization"));
    for form in ["appeals", "reception"] {
        app.call("GET", &format!("/api/v1/exports/gasu/{form}?month=2025-03&organization=all"), Some(&app.regional_supervisor), None).await.assert_problem(422, Some("organization"));
    }
    drop(a);
}

#[derive(diesel::QueryableByName)]
struct RegNumber {
    #[diesel(sql_type = diesel::sql_types::Text)]
    reg_number: String,
}
