//! The table against the parser: the same names, the same defaults.

use super::*;
use crate::config::{Config, Settings, runtime_api::runtime_endpoint};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// The variables `read` asks for when none is set.
fn asked(read: impl FnOnce(&dyn Fn(&str) -> Option<String>)) -> BTreeSet<String> {
    let names = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        names.borrow_mut().insert(name.to_string());
        None
    };
    read(&lookup);
    names.into_inner()
}

fn in_table(reader: Reader) -> BTreeSet<String> {
    let settings = SETTINGS.iter().filter(|s| s.reader == reader).flat_map(Setting::variables);
    let lambda = LAMBDA_VARIABLES.iter().filter(|v| v.reader == reader).map(|v| v.name.to_string());
    settings.chain(lambda).collect()
}

#[test]
fn reading_the_configuration_asks_for_exactly_the_variables_in_the_table() {
    let config = asked(|lookup| {
        let mut settings = Settings::new(lookup);
        Config::from_settings(&mut settings).expect("the defaults are valid");
    });
    let table = in_table(Reader::Config);
    let missing: Vec<_> = config.difference(&table).collect();
    let stale: Vec<_> = table.difference(&config).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the configuration reads {missing:?}, which src/config/table.rs does not list (add a row, so --help shows it); \
         the table lists {stale:?}, which the configuration does not read"
    );

    let runtime_api = asked(|lookup| {
        let _ = runtime_endpoint(lookup);
    });
    assert_eq!(runtime_api, in_table(Reader::RuntimeApi));
}

#[test]
fn every_default_written_as_a_value_is_the_default() {
    let debug = |vars: &[(&str, &str)]| {
        let mut settings = Settings::new(crate::config::lookup(vars));
        format!("{:?}", Config::from_settings(&mut settings).map_err(|e| e.to_string()))
    };
    let defaults = debug(&[]);
    for setting in SETTINGS.iter().filter(|s| s.reader == Reader::Config) {
        let DefaultValue::Value(value) = setting.default else { continue };
        let name = format!("LWA_{}", setting.name);
        assert_eq!(
            debug(&[(&name, value)]),
            defaults,
            "{name}={value:?}, its documented default, changes the configuration"
        );
    }
    let log = SETTINGS.iter().find(|s| s.name == "LOG").expect("LOG has a row");
    assert_eq!(log.default, DefaultValue::Value("info"), "crate::logging falls back to `info`");
    assert_eq!(
        SETTINGS.iter().find(|s| s.name == "WS_CALLBACK_PORT").map(|s| s.default),
        Some(DefaultValue::Value("9002"))
    );
    assert_eq!(crate::config::ws::DEFAULT_CALLBACK_PORT, 9002);
}

#[test]
fn help_lists_every_setting_with_its_default() {
    let help = help();
    for setting in SETTINGS {
        assert!(help.contains(setting.name), "{} is missing:\n{help}", setting.name);
    }
    for variable in LAMBDA_VARIABLES {
        assert!(help.contains(variable.name), "{} is missing:\n{help}", variable.name);
    }
    let lines: Vec<&str> = help.lines().collect();
    assert!(lines.iter().all(|l| l.chars().count() <= 110), "{help}");
    let port = lines.iter().find(|l| l.trim_start().starts_with("PORT ")).expect("a PORT row");
    assert!(port.contains("the app's port"), "{port}");
    assert!(help.contains("[default: `8080`]"), "{help}");
    let names: BTreeSet<&str> = SETTINGS.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), SETTINGS.len(), "a setting is listed twice");
}

#[test]
fn rows_wrap_under_their_description() {
    let text = row("NAME", "one two three four five six", 10, 22);
    assert_eq!(text, "    NAME  one two\n          three four\n          five six\n");
    let long = row("A_VERY_LONG_NAME", "x", 10, 22);
    assert_eq!(long, "    A_VERY_LONG_NAME\n          x\n");
    let list = row("L", "[`a/b,cc/dd,eee/f`]", 6, 18);
    assert_eq!(list, "    L [`a/b,cc/dd,\n      eee/f`]\n");
}
