//! Response compression's settings: `LWA_ENABLE_COMPRESSION` and `LWA_COMPRESSIBLE_TYPES`.
//!
//! Off by default, so that no byte of a response changes for users who did not ask. The content types that
//! are compressed form a list of patterns (`type/subtype`, `type/*`, `type/*+suffix`); a list that is set
//! replaces the default one whole, and is validated like every other setting: a bad entry is a
//! [`ConfigError`] naming the variable, the value and what is allowed, never silently skipped.

use super::{ConfigError, Settings};

/// What [`CompressibleTypes::default`] holds: every type that is text or otherwise uncompressed. Images other
/// than SVG (and the uncompressed icon and bitmap formats), audio, video, archives, WOFF fonts and
/// `application/octet-stream` are left out: they are compressed already, or could be anything.
pub(crate) const DEFAULT_TYPES: &str = "text/*,application/json,application/*+json,application/xml,application/*+xml,\
application/javascript,application/x-javascript,application/ecmascript,application/x-ndjson,application/yaml,\
application/x-yaml,application/graphql,image/svg+xml,image/x-icon,image/vnd.microsoft.icon,image/bmp,font/ttf,font/otf";

/// The compression settings, typed; off with the default list by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CompressionConfig {
    /// `ENABLE_COMPRESSION`: compress responses whose client accepts it (`false` by default).
    pub enabled: bool,
    /// `COMPRESSIBLE_TYPES`: the content types compressed.
    pub types: CompressibleTypes,
}

impl CompressionConfig {
    /// Reads `ENABLE_COMPRESSION` and `COMPRESSIBLE_TYPES`; the list is validated even when compression is
    /// off (with a warning that it has no effect then), so a typo does not wait for the day it is switched on.
    pub(crate) fn from_settings<F: Fn(&str) -> Option<String>>(settings: &mut Settings<F>) -> Result<CompressionConfig, ConfigError> {
        let enabled = settings.flag("ENABLE_COMPRESSION", false)?;
        let types = settings.parse("COMPRESSIBLE_TYPES", CompressibleTypes::parse)?;
        if types.is_some() && !enabled {
            settings.warn(
                "LWA_COMPRESSIBLE_TYPES is set but compression is off, so it has no effect: set LWA_ENABLE_COMPRESSION=true to compress responses"
                    .into(),
            );
        }
        Ok(CompressionConfig {
            enabled,
            types: types.unwrap_or_default(),
        })
    }
}

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypePattern {
    /// `type/subtype`: that type only.
    Exact { top: String, sub: String },
    /// `type/*`: every subtype of `type`.
    AnySubtype { top: String },
    /// `type/*+suffix`: every subtype of `type` with that structured-syntax suffix (`application/*+json`).
    Suffix { top: String, suffix: String },
}

impl TypePattern {
    fn matches(&self, top: &str, sub: &str) -> bool {
        match self {
            TypePattern::Exact { top: t, sub: s } => t == top && s == sub,
            TypePattern::AnySubtype { top: t } => t == top,
            TypePattern::Suffix { top: t, suffix } => {
                t == top
                    && sub
                        .rsplit_once('+')
                        .is_some_and(|(name, found)| !name.is_empty() && found == suffix)
            }
        }
    }
}

/// The content types that are compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompressibleTypes(Vec<TypePattern>);

impl Default for CompressibleTypes {
    fn default() -> Self {
        // The default list is a constant this module's tests parse; should it ever fail, nothing is compressed.
        CompressibleTypes::parse(DEFAULT_TYPES).unwrap_or(CompressibleTypes(Vec::new()))
    }
}

impl CompressibleTypes {
    /// Parses a comma-separated list of `type/subtype`, `type/*` and `type/*+suffix` entries (any case, no
    /// parameters). `*/*` is refused: it would recompress images, video and archives for nothing.
    pub(crate) fn parse(text: &str) -> Result<CompressibleTypes, String> {
        let allowed = |problem: String| {
            format!(
                "expected a comma-separated list of content types, each `type/subtype`, `type/*` or `type/*+suffix` without parameters, such as `text/*,application/json,application/*+json` (it replaces the default list); {problem}"
            )
        };
        let mut patterns = Vec::new();
        for entry in text.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(allowed("an entry is empty".into()));
            }
            let pattern = parse_pattern(&entry.to_ascii_lowercase()).map_err(|why| allowed(format!("`{entry}` {why}")))?;
            patterns.push(pattern);
        }
        Ok(CompressibleTypes(patterns))
    }

    /// Whether a `Content-Type` value (parameters allowed, any case) is in the list.
    pub(crate) fn matches(&self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.split_once('/') {
            Some((top, sub)) if is_token(top) && is_token(sub) => self.0.iter().any(|pattern| pattern.matches(top, sub)),
            _ => false,
        }
    }

    #[cfg(test)]
    pub(crate) fn patterns(&self) -> &[TypePattern] {
        &self.0
    }
}

fn parse_pattern(entry: &str) -> Result<TypePattern, &'static str> {
    if entry.contains(';') {
        return Err("has parameters; list the type alone");
    }
    if entry == "*" || entry.starts_with("*/") {
        return Err("would compress every type, images, video and archives included, which are compressed already; list the types instead");
    }
    let Some((top, sub)) = entry.split_once('/') else {
        return Err("is not `type/subtype`");
    };
    if !is_token(top) || top.contains('*') {
        return Err("does not start with a type name such as `text` or `application`");
    }
    if sub == "*" {
        return Ok(TypePattern::AnySubtype { top: top.into() });
    }
    if let Some(suffix) = sub.strip_prefix("*+") {
        if is_token(suffix) && !suffix.contains(['*', '+']) {
            return Ok(TypePattern::Suffix {
                top: top.into(),
                suffix: suffix.into(),
            });
        }
        return Err("has no valid suffix after `*+`, such as `json` in `application/*+json`");
    }
    if is_token(sub) && !sub.contains('*') {
        return Ok(TypePattern::Exact {
            top: top.into(),
            sub: sub.into(),
        });
    }
    Err("has a subtype that is neither a name nor `*` nor `*+suffix`")
}

/// An RFC 9110 token: one or more of the characters a type or subtype name may have.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lookup;

    fn read(vars: &[(&str, &str)]) -> (Result<CompressionConfig, ConfigError>, Vec<String>) {
        let mut settings = Settings::new(lookup(vars));
        let result = CompressionConfig::from_settings(&mut settings);
        (result, settings.warnings().to_vec())
    }

    #[test]
    fn off_by_default_with_the_default_list() {
        let (config, warnings) = read(&[]);
        assert_eq!(config.unwrap(), CompressionConfig::default());
        assert!(warnings.is_empty());
        assert_eq!(CompressibleTypes::default().patterns().len(), DEFAULT_TYPES.split(',').count());
        assert_eq!(CompressibleTypes::parse(DEFAULT_TYPES).unwrap(), CompressibleTypes::default());
    }

    #[test]
    fn both_names_and_any_boolean() {
        assert!(read(&[("LWA_ENABLE_COMPRESSION", "true")]).0.unwrap().enabled);
        assert!(read(&[("AWS_LWA_ENABLE_COMPRESSION", "YES")]).0.unwrap().enabled);
        assert!(!read(&[("AWS_LWA_ENABLE_COMPRESSION", "off")]).0.unwrap().enabled);
        let err = read(&[("AWS_LWA_ENABLE_COMPRESSION", "gzip")]).0.unwrap_err();
        assert_eq!((err.variable.as_str(), err.value.as_str()), ("AWS_LWA_ENABLE_COMPRESSION", "gzip"));
        assert!(err.allowed.contains("boolean"), "{err}");
    }

    #[test]
    fn the_default_list() {
        let types = CompressibleTypes::default();
        for yes in [
            "text/html; charset=utf-8",
            "TEXT/PLAIN",
            "text/event-stream",
            "text/css",
            "application/json",
            "application/problem+json",
            "application/graphql-response+json",
            "application/atom+xml",
            "application/xml",
            "application/javascript",
            "application/x-ndjson",
            "image/svg+xml",
        ] {
            assert!(types.matches(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "image/webp",
            "audio/mpeg",
            "video/mp4",
            "application/zip",
            "application/gzip",
            "application/zstd",
            "font/woff2",
            "font/woff",
            "application/octet-stream",
            "application/wasm",
            "application/pdf",
            "",
            "json",
            "/json",
            "application/+json",
            "text/",
        ] {
            assert!(!types.matches(no), "{no}");
        }
    }

    #[test]
    fn a_set_list_replaces_the_default() {
        let config = read(&[
            ("LWA_ENABLE_COMPRESSION", "1"),
            ("LWA_COMPRESSIBLE_TYPES", " application/json , Text/CSV,application/*+Yaml"),
        ])
        .0
        .unwrap();
        let types = config.types;
        assert!(types.matches("application/json") && types.matches("text/csv") && types.matches("application/openapi+yaml"));
        assert!(!types.matches("text/html") && !types.matches("application/xml"));
        assert!(CompressibleTypes::parse("text/*").unwrap().matches("text/anything"));
    }

    #[test]
    fn a_list_without_compression_warns() {
        let (config, warnings) = read(&[("LWA_COMPRESSIBLE_TYPES", "text/*")]);
        assert!(!config.unwrap().enabled);
        assert!(warnings.iter().any(|w| w.contains("no effect")), "{warnings:?}");
    }

    #[test]
    fn invalid_lists_name_variable_value_and_allowed() {
        for (value, why) in [
            ("text/*,", "empty"),
            ("", "empty"),
            ("text/html; charset=utf-8", "parameters"),
            ("*/*", "every type"),
            ("*", "every type"),
            ("json", "not `type/subtype`"),
            ("text/ html", "subtype"),
            ("te xt/html", "type name"),
            ("application/*+", "suffix"),
            ("application/*+*", "suffix"),
            ("application/j*son", "subtype"),
            ("text/**", "subtype"),
            ("a/b/c", "subtype"),
            ("text/é", "subtype"),
        ] {
            let Err(err) = CompressibleTypes::parse(value) else {
                panic!("{value:?} was accepted");
            };
            assert!(err.contains(why) && err.contains("type/*+suffix"), "{value:?}: {err}");
        }
        // Through the settings: a list of spaces is a list with an empty entry.
        assert!(
            read(&[("AWS_LWA_COMPRESSIBLE_TYPES", "   ")])
                .0
                .unwrap_err()
                .allowed
                .contains("empty")
        );
        let err = read(&[("AWS_LWA_COMPRESSIBLE_TYPES", "image/*,*/*")]).0.unwrap_err();
        assert_eq!(
            (err.variable.as_str(), err.value.as_str()),
            ("AWS_LWA_COMPRESSIBLE_TYPES", "image/*,*/*")
        );
        assert!(
            err.to_string()
                .contains("invalid setting AWS_LWA_COMPRESSIBLE_TYPES=\"image/*,*/*\""),
            "{err}"
        );
    }
}
