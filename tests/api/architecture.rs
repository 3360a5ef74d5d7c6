//! The shape of the code, checked: modules import only from layers below
//! them, `domain` imports nothing of ours, the JSON API never reaches past
//! the services, and every SQLite migration has a PostgreSQL twin that
//! defines the same tables and columns.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sqlx::Connection;

use crate::helpers::{Backend, TestDb};

/// The layers, lowest first; a module may import from its own layer or below.
const LAYERS: &[&[&str]] = &[
    &["domain"],
    &["clock", "secrets", "config", "metrics", "telemetry"],
    &["store"],
    &["accounts", "api_keys", "factors", "eula", "tokens", "oauth", "licensing", "support", "mail", "health", "purge"],
    &["services"],
    &["http"],
    &["web"],
    &["startup"],
    &["cli"],
];

fn layer_of(module: &str) -> usize {
    LAYERS.iter().position(|layer| layer.contains(&module)).unwrap_or_else(|| panic!("`{module}` has no layer"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<module>` a top-level module's code names, comments left out.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        for line in text.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && name != module {
                    edges.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn modules_import_only_from_the_layers_below() {
    let graph = imports();
    let mut wrong = Vec::new();
    for (module, edges) in &graph {
        for target in edges {
            if layer_of(target) > layer_of(module) {
                wrong.push(format!("{module} imports {target}, a layer above it"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(graph["domain"].is_empty(), "domain imports {:?}", graph["domain"]);
}

#[test]
fn there_is_no_import_cycle() {
    let graph = imports();
    // Depth-first search with colours: reaching a grey node again is a cycle.
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match colour.get(node) {
            Some(1) => {
                let start = path.iter().position(|n| *n == node).unwrap_or(0);
                return Some(path[start..].iter().chain([&node]).map(|n| (*n).to_owned()).collect());
            }
            Some(_) => return None,
            None => {}
        }
        colour.insert(node, 1);
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, colour, path) {
                return Some(cycle);
            }
        }
        path.pop();
        colour.insert(node, 2);
        None
    }
    let mut colour = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut colour, &mut Vec::new()) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_api_and_the_pages_reach_the_application_only_through_services() {
    let graph = imports();
    // The API's per-IP limiter reads the clock for its buckets; pages read neither.
    for (adapter, below_limits) in [("http", &["store"][..]), ("web", &["store", "clock"][..])] {
        for below in below_limits {
            assert!(!graph[adapter].contains(*below), "{adapter} imports {below}: {:?}", graph[adapter]);
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(adapter);
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for needle in ["state.store", "state.clock"] {
                assert!(!text.contains(needle), "{} uses {needle}", file.display());
            }
        }
    }
}

/// `(table, column)` of every table the migrations made, on either backend.
async fn columns(backend: Backend) -> BTreeSet<(String, String)> {
    let db = TestDb::new(backend).await;
    db.store().await.close().await;
    let rows: Vec<(String, String)> = match backend {
        Backend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&mut connection)
            .await
            .unwrap()
        }
        Backend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public'",
            )
            .fetch_all(&mut connection)
            .await
            .unwrap()
        }
    };
    rows.into_iter().filter(|(table, _)| table != "_sqlx_migrations").collect()
}

#[tokio::test]
async fn both_databases_get_the_same_tables_and_columns() {
    let (sqlite, postgres) = (columns(Backend::Sqlite).await, columns(Backend::Postgres).await);
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "SQLite only: {only_sqlite:?}\nPostgreSQL only: {only_postgres:?}"
    );
    assert!(sqlite.len() > 50, "{sqlite:?}");
}

#[test]
fn every_migration_has_its_twin() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

/// SHA-256 of every migration that has landed. A landed migration is never
/// edited (databases already ran it, and sqlx refuses a changed one at
/// start); a change is a new file in each dialect, added here when it lands.
const LANDED: &[(&str, &str)] = &[
    ("0001_accounts.sql", "a7ea50b58fd13674fff28e871e2c3358d414489164a0a6405b0748c8207cc82c"),
    ("0002_licenses.sql", "43b4a6609de9f0509f240c12ecaa7f575e31e7fcfdf7347c1b9e99b36670cca0"),
    ("0003_signing_keys.sql", "4ef47e5ad8ed42990aad6d7d929cdf9a1ca3403d26e215ed3a768abae06e7c04"),
    ("0004_second_factors.sql", "c92c7213af5f3227189efccc8b125f81a1bbc24da6e67083d3316f4373845078"),
    ("0005_eula.sql", "cece43f605907911a40672dd30ec1835d562103af3629e3553bf22dc3210c16e"),
    ("0006_support_pins.sql", "09976012381053b18284e5982778a3628568cd35145903a1f620b3163f8ddb51"),
    ("0007_tokens.sql", "0c24d2b831248332de3d32a2458e9266e6bed46fd2ece265f6cfc2d2096fba03"),
    ("0008_mail.sql", "e65e32d22de4b55f6fa295176b1d16e56f039d2741d39100e055d8edb4a636f1"),
    ("0009_attempts_and_devices.sql", "f9f6bb51c080e4f809ac9943b85b2d01708cedbb5b5d4b25e9d14a207a29d1df"),
    ("0010_purge_indexes.sql", "65256bed537af0c73f6b1e65a39ddaf190178994fd074aaa1430a034e278f394"),
    ("0011_session_proof.sql", "cbdc41fdf874b59209052925d6d3f963379ffaf34891ff6e9a1d662685caad0f"),
    ("0012_revocation_list.sql", "ce8de3f7b2850f552fc07b98e871ee0e0ebb36fff6998b91fc233542a3536e44"),
    ("0013_change_marks.sql", "efc9ace306378f7bc2a51af85c10e20ffd8442b4939379e250ffa907031ef3b8"),
    ("0014_oauth.sql", "b8e020c3823a43fb0236ae966b633081bc81fc7c31b735e7e8dfbf846726f73e"),
    ("0015_dpop.sql", "f62568357af433180b75921773f3873bc6816ca13b4510c79b2a787d406bebbc"),
    ("0016_schema_compat.sql", "ffef8fb4d5f20bb85f4d3f98d3079c9390c96d5815234d09020844b942e43a56"),
    ("0017_client_secrets.sql", "5e33ce9079ccf6f7e20b2b6f738fa82a908417e72c80073bdfe12f3726bc6113"),
    ("0018_code_dpop_key.sql", "69f308637c92832fad1fa2430a3d29e6c740ce08ff9fe0cae8ed14dd84d113c9"),
];

/// Where the PostgreSQL twin differs from the SQLite file (its triggers).
const LANDED_POSTGRES_ONLY: &[(&str, &str)] = &[
    ("0005_eula.sql", "0e336deb30fe2b0d19dc81e197a70c6dc01d9bbf3e4a90790fe4e5399f80147b"),
    ("0013_change_marks.sql", "dcc7f2484cdb2ad48a181f276463217d5cb94faefb96b6cc6a5b722a228e2209"),
];

#[test]
fn landed_migrations_are_never_edited() {
    use sha2::Digest;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for backend in ["sqlite", "postgres"] {
        for (file, expected) in LANDED {
            let expected = match backend {
                "postgres" => LANDED_POSTGRES_ONLY.iter().find(|(f, _)| f == file).map_or(*expected, |(_, h)| *h),
                _ => *expected,
            };
            let text = std::fs::read(root.join(backend).join(file)).unwrap();
            let actual = hex::encode(sha2::Sha256::digest(&text));
            assert_eq!(actual, expected, "migrations/{backend}/{file} was edited after it landed; add a new migration");
        }
    }
}
