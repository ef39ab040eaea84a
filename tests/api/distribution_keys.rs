//! Ready for distribution by organization: every primary key, unique key and foreign key of a
//! business table includes `organization_id`, so the tables can be distributed by it (Citus) or
//! split across databases without a change of schema. Read from the database's own catalog
//! (PostgreSQL: pg_catalog; SQLite: sqlite_master and its pragmas), so a later migration that
//! adds a key without the organization fails here, naming the table and the key.

use crate::support::*;

/// Tables that are not distributed by organization, each with why.
const REFERENCE: [(&str, &str); 4] = [
    ("organizations", "the organizations themselves: every node needs all of them"),
    ("classifier", "the shared thematic classifier, the same for every organization"),
    ("logins", "each login once in the instance, so that a person signs in by login alone"),
    ("__diesel_schema_migrations", "the migration runner's own bookkeeping"),
];

/// SQLite only: what SQLite needs that no distributed database ever holds. SQLite is never
/// distributed, and generates ids only for an INTEGER PRIMARY KEY (PostgreSQL's keys of these
/// two tables include the organization and are checked there).
const SQLITE_ONLY: [(&str, &str); 3] = [
    ("appeal_search_rows", "the rowids of the cards in the FTS5 trigram index (PostgreSQL: a GIN index)"),
    ("history", "keyed by its INTEGER PRIMARY KEY, SQLite's id generator"),
    ("stats_deltas", "keyed by its INTEGER PRIMARY KEY, SQLite's id generator"),
];

#[derive(diesel::QueryableByName, Debug)]
struct Finding {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    what: String,
}

/// Every key of a business table that lacks `organization_id`, as "table: what", sorted.
fn keys_without_organization(app: &TestApp, db: Db) -> Vec<String> {
    let mut skip: Vec<&str> = REFERENCE.iter().map(|(t, _)| *t).collect();
    if db == Db::Sqlite {
        skip.extend(SQLITE_ONLY.iter().map(|(t, _)| *t));
    }
    let skipped = skip.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    let queries = match db {
        Db::Postgres => vec![
            // A business table without the column, or without a primary key at all.
            format!(
                "SELECT t.relname::text AS table_name, 'no organization_id column' AS what FROM pg_class t
                 WHERE t.relkind IN ('r', 'p') AND t.relnamespace = 'public'::regnamespace AND t.relname NOT IN ({skipped})
                   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
                 UNION ALL
                 SELECT t.relname::text, 'no primary key' FROM pg_class t
                 WHERE t.relkind IN ('r', 'p') AND t.relnamespace = 'public'::regnamespace AND t.relname NOT IN ({skipped})
                   AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = t.oid AND x.indisprimary)"
            ),
            // Primary keys, unique constraints and unique indexes (partial ones too).
            format!(
                "SELECT t.relname::text AS table_name,
                        CASE WHEN x.indisprimary THEN 'primary key ' ELSE 'unique key ' END || i.relname::text AS what
                 FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
                 WHERE x.indisunique AND t.relnamespace = 'public'::regnamespace AND t.relname NOT IN ({skipped})
                   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id' AND a.attnum = ANY (x.indkey))"
            ),
            // Foreign keys to a business table must pair the two organization columns; a
            // reference table may not point at a business table at all (a replicated table
            // cannot reference a distributed one).
            format!(
                "SELECT t.relname::text AS table_name, 'foreign key ' || c.conname::text || ' to ' || p.relname::text AS what
                 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid
                 WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace AND p.relname NOT IN ({skipped})
                   AND (t.relname IN ({skipped}) OR NOT EXISTS (
                        SELECT 1 FROM unnest(c.conkey, c.confkey) AS k(child, parent)
                        JOIN pg_attribute ca ON ca.attrelid = c.conrelid AND ca.attnum = k.child
                        JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.parent
                        WHERE ca.attname = 'organization_id' AND pa.attname = 'organization_id'))"
            ),
        ],
        Db::Sqlite => {
            let tables = format!("sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE 'appeal\\_search\\_%' ESCAPE '\\' AND m.name <> 'appeal_search' AND m.name NOT IN ({skipped})");
            vec![
                format!(
                    "SELECT m.name AS table_name, 'no organization_id column' AS what FROM {tables}
                       AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'organization_id')
                     UNION ALL
                     SELECT m.name, 'primary key without organization_id' FROM {tables}
                       AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.pk > 0 AND c.name = 'organization_id')"
                ),
                format!(
                    "SELECT m.name AS table_name, 'unique key ' || l.name AS what
                     FROM sqlite_master m JOIN pragma_index_list(m.name) l
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE 'appeal\\_search\\_%' ESCAPE '\\' AND m.name <> 'appeal_search'
                       AND m.name NOT IN ({skipped}) AND l.\"unique\" = 1
                       AND NOT EXISTS (SELECT 1 FROM pragma_index_info(l.name) i WHERE i.name = 'organization_id')"
                ),
                format!(
                    "SELECT m.name AS table_name, 'foreign key to ' || f.\"table\" AS what
                     FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name <> 'appeal_search'
                       AND m.name NOT IN ({skipped}) AND f.\"table\" NOT IN ({skipped})
                     GROUP BY m.name, f.id, f.\"table\"
                     HAVING SUM(f.\"from\" = 'organization_id' AND f.\"to\" = 'organization_id') = 0"
                ),
            ]
        }
    };
    let mut found: Vec<String> = queries.iter().flat_map(|q| app.rows::<Finding>(q)).map(|f| format!("{}: {}", f.table_name, f.what)).collect();
    found.sort();
    found
}

both_backends!(every_key_of_a_business_table_includes_the_organization);
/// The schema as migrated is ready for distribution; a table added with keys of its own (a
/// unique code, a reference by id alone) is named with each key that lacks the organization.
async fn every_key_of_a_business_table_includes_the_organization(db: Db) {
    let app = TestApp::start(db).await;
    let found = keys_without_organization(&app, db);
    assert!(found.is_empty(), "keys without organization_id (add it, or list a reference table with why):\n{}", found.join("\n"));

    // What the check catches: a parent keyed by id alone, a child with a unique code and a
    // reference by id alone, a table with no organization at all.
    app.sql(
        "CREATE TABLE probe_parent (id TEXT NOT NULL PRIMARY KEY, organization_id TEXT NOT NULL);
         CREATE TABLE probe_child (id TEXT NOT NULL, organization_id TEXT NOT NULL, code TEXT NOT NULL UNIQUE, parent_id TEXT REFERENCES probe_parent(id), PRIMARY KEY (id, organization_id));
         CREATE TABLE probe_global (id TEXT NOT NULL PRIMARY KEY);",
    );
    let found = keys_without_organization(&app, db);
    let names = |table: &str| found.iter().filter(|f| f.starts_with(&format!("{table}: "))).count();
    assert!(names("probe_parent") >= 1, "{found:?}");
    assert!(found.iter().any(|f| f.starts_with("probe_child: unique key")), "{found:?}");
    assert!(found.iter().any(|f| f.starts_with("probe_child: foreign key") && f.ends_with("probe_parent")), "{found:?}");
    assert!(found.iter().any(|f| f == "probe_global: no organization_id column"), "{found:?}");
    assert!(found.iter().all(|f| f.starts_with("probe_")), "only the probes: {found:?}");
}
