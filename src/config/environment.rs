//! The process environment as settings read it.
//!
//! `std::env::var` calls a value that is not UTF-8 "not present", which would turn `LWA_PORT=$'\xff\xfe'`
//! into the default port without a word. Here every variable a setting reads is read as bytes: a value that
//! is not UTF-8 is remembered, and [`ProcessEnv::check`] makes it an init error that names the variable.

use std::cell::RefCell;

use super::ConfigError;

/// A lookup over the process environment that remembers the first value that was not UTF-8.
#[derive(Default)]
pub struct ProcessEnv {
    not_utf8: RefCell<Option<ConfigError>>,
}

impl ProcessEnv {
    pub fn new() -> Self {
        Self::default()
    }

    /// `name`'s value; `None` when unset, and when not UTF-8 (remembered for [`ProcessEnv::check`]).
    pub fn get(&self, name: &str) -> Option<String> {
        match std::env::var_os(name)?.into_string() {
            Ok(value) => Some(value),
            Err(raw) => {
                self.not_utf8
                    .borrow_mut()
                    .get_or_insert_with(|| not_utf8(name, raw.as_encoded_bytes()));
                None
            }
        }
    }

    /// The error for the first variable read whose value was not UTF-8.
    pub fn check(&self) -> Result<(), ConfigError> {
        match self.not_utf8.borrow().clone() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The error for `name` set to the non-UTF-8 `bytes`.
pub(crate) fn not_utf8(name: &str, bytes: &[u8]) -> ConfigError {
    ConfigError {
        variable: name.into(),
        value: String::from_utf8_lossy(bytes).into_owned(),
        allowed: "the value is not UTF-8 text (each \u{fffd} above stands for bytes that are not); settings must be UTF-8".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_is_not_utf8_is_an_error_naming_the_variable() {
        let error = not_utf8("LWA_PORT", b"\xff\xfe");
        assert_eq!(error.variable, "LWA_PORT");
        assert!(
            error
                .to_string()
                .starts_with("invalid setting LWA_PORT=\"\u{fffd}\u{fffd}\": the value is not UTF-8"),
            "{error}"
        );
        let env = ProcessEnv::new();
        assert_eq!(env.get("LWA_SURELY_UNSET_IN_TESTS"), None);
        assert!(env.check().is_ok());
    }
}
