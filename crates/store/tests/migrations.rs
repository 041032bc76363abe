//! The rule that lets a server be upgraded without stopping (docs/OPERATIONS.md, "Upgrading
//! without stopping"): from migration 0022 on, a migration only adds, so that the previous
//! release keeps working on the new schema while servers are replaced one at a time. Removing
//! or renaming waits for a later release and says so in a `-- contract:` line naming what the
//! previous release no longer uses. Both backends' migrations are kept in step.

use std::path::Path;

/// The first migration written under the rule.
const FIRST_UNDER_THE_RULE: u32 = 22;

/// Statements that break the release before this one while it still runs.
const BREAKING: [&str; 5] = [
    "drop table",
    "drop column",
    "rename ",
    "alter column",
    "drop index",
];

fn migrations(backend: &str) -> Vec<(u32, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut found: Vec<(u32, String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let number = name.split('_').next().unwrap().parse().unwrap();
            (number, name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    found.sort();
    found
}

#[test]
fn migrations_only_add_unless_they_say_what_they_contract() {
    for backend in ["sqlite", "postgres"] {
        for (number, name, text) in migrations(backend) {
            if number < FIRST_UNDER_THE_RULE {
                continue;
            }
            let declared = text
                .lines()
                .any(|line| line.trim_start().starts_with("-- contract:"));
            let statements: String = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
                .to_lowercase();
            for breaking in BREAKING {
                assert!(
                    declared || !statements.contains(breaking),
                    "{backend}/{name}: {breaking:?} breaks the release before this one while it runs; add instead, or say in a `-- contract:` line what the previous release no longer uses"
                );
            }
        }
    }
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend| -> Vec<String> {
        migrations(backend)
            .into_iter()
            .map(|(_, name, _)| name)
            .collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
