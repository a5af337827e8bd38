//! Whether two request paths reach the same route, as the app's router would read them.
//!
//! The adapter refuses a few paths (the SnapStart hooks) that only it may call. Comparing the raw text is not
//! enough: routers decode and tidy a path before they match it, each a little differently. Flask and
//! Werkzeug decode `%62` and, behind some servers, `%2F`; Express's non-strict routing ignores a trailing
//! `/` and matches without case; ASP.NET compares without case; Tomcat drops `;parameters` from every
//! segment; most resolve `.`/`..` and collapse `//`; IIS and Tomcat also take `\` as `/`. So a refused
//! path is compared in a canonical form that undoes all of these at once: what any of those routers would
//! take to a hook is refused, while a path that merely starts with the hook's text (`/snapstart/beforehand`)
//! is a different route and is not.

/// How many rounds of percent-decoding are undone (`%2562` is `%62` after one, `b` after two): some
/// servers decode twice; more rounds cost nothing on ordinary paths, and a hook path holds no `%` of its own.
const DECODE_ROUNDS: usize = 8;

/// Whether `path` (a request path, without its query) reaches the route `route` in any common router.
pub fn same_route(path: &str, route: &str) -> bool {
    canonical(path) == canonical(route)
}

/// `path` as the most permissive of the common routers reads it: percent-decoded (repeatedly, `%2F`
/// included), `\` as `/`, `;parameters` dropped from every segment, empty and `.` segments dropped, `..`
/// resolved, no trailing `/`, and case folded. Bytes that are not UTF-8 compare as they are.
pub fn canonical(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut bytes = path.as_bytes().to_vec();
    for _ in 0..DECODE_ROUNDS {
        let decoded: Vec<u8> = percent_encoding::percent_decode(&bytes).collect();
        if decoded == bytes {
            break;
        }
        bytes = decoded;
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut segments: Vec<String> = Vec::new();
    for segment in text.split(['/', '\\']) {
        let segment = segment.split(';').next().unwrap_or_default();
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(fold_case(segment)),
        }
    }
    let mut canonical = String::with_capacity(path.len());
    for segment in &segments {
        canonical.push('/');
        canonical.push_str(segment);
    }
    if canonical.is_empty() {
        canonical.push('/');
    }
    canonical
}

/// Case folded the way both upper-casing (.NET's ordinal ignore-case: `ſ` is `S`) and lower-casing
/// (the Kelvin sign is `k`) comparisons would match.
fn fold_case(text: &str) -> String {
    text.chars().flat_map(char::to_uppercase).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOOK: &str = "/snapstart/before";

    #[test]
    fn spellings_that_routers_take_to_the_hook_are_the_hook() {
        let families: [(&str, &[&str]); 6] = [
            ("as configured", &["/snapstart/before", "/snapstart/before?x=1"]),
            (
                "percent-decoding (Werkzeug, Go, Express)",
                &[
                    "/snapstart/%62efore",
                    "/%73napstart/before",
                    "/snapstart%2Fbefore",
                    "/snapstart%2fbefore",
                    "/snapstart/%2562efore",
                ],
            ),
            (
                "dot segments and repeated slashes (every router)",
                &[
                    "//snapstart/before",
                    "/snapstart//before",
                    "/snapstart/./before",
                    "/x/../snapstart/before",
                    "/snapstart/%2e/before",
                    "/./snapstart/before",
                ],
            ),
            (
                "a trailing slash (Express non-strict, Spring)",
                &["/snapstart/before/", "/snapstart/before//"],
            ),
            (
                "path parameters (Tomcat)",
                &["/snapstart/before;x", "/snapstart;jsessionid=1/before", "/snapstart/before;"],
            ),
            (
                "case (ASP.NET, Express non-strict) and backslashes (IIS, Tomcat)",
                &[
                    "/SNAPSTART/before",
                    "/SnapStart/BEFORE",
                    "/\u{17f}napstart/before",
                    "\\snapstart\\before",
                    "/snapstart%5cbefore",
                ],
            ),
        ];
        for (family, spellings) in families {
            for spelling in spellings {
                assert!(same_route(spelling, HOOK), "{family}: {spelling} passed as another route");
            }
        }
    }

    #[test]
    fn other_routes_stay_other_routes() {
        for path in [
            "/snapstart/beforehand",
            "/snapstart/before-x",
            "/snapstart/befor",
            "/snapstart",
            "/snapstart/before/x",
            "/snapstart/after",
            "/x/snapstart/before",
            "/",
            "",
        ] {
            assert!(!same_route(path, HOOK), "{path} was taken for the hook");
        }
    }

    #[test]
    fn the_canonical_form() {
        assert_eq!(canonical("/A//b/./c/../d/;x?q"), "/a/b/d");
        assert_eq!(canonical("/../.."), "/");
        assert_eq!(canonical("/%ff"), "/\u{fffd}");
    }
}
