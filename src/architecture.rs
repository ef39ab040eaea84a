//! The house's floors, checked: every `crate::` path of every source file must point at its
//! own floor or below, use cases and interfaces never reach sideways into a peer, and no two
//! files import each other through a circle. `cargo test` reads the sources; a new arrow
//! against the order fails here with the file and the path that brought it.
//!
//! From the bottom: `domain` (pure rules) and the small pure helpers ← `config` ← `store` ←
//! `notify`, `files` ← `state` ← the use cases (`registry`, `control`, `queries`, `reports`,
//! `scheduler`) ← `edge` (what the API and the pages share about a request) ← `api`, `web` ←
//! `app` ← `main`, `demo`.

/// The floor of each top-level module; a file may import its own floor and those below.
pub const FLOORS: &[(&str, u8)] = &[
    ("domain", 0),
    ("clock", 0),
    ("memory", 0),
    ("csv", 0),
    ("templates", 0),
    ("auth", 0),
    ("telemetry", 0),
    ("config", 1),
    ("store", 2),
    ("notify", 3),
    ("files", 3),
    ("classifier_index", 3),
    ("state", 4),
    ("intake", 4),
    ("campaigns", 4),
    ("registry", 5),
    ("organizations", 5),
    ("control", 5),
    ("queries", 5),
    ("reports", 5),
    ("scheduler", 5),
    ("edge", 6),
    ("api", 7),
    ("web", 7),
    ("app", 8),
    ("demo", 9),
    ("main", 9),
];

/// Floors whose modules are peers that must not import one another (one use case calling
/// another hides a rule; the API and the pages share through `edge` and the use cases).
pub const NO_SIDEWAYS: &[u8] = &[5, 7];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    /// Arrows known to run against the order (file, module it reaches), each to be removed,
    /// never added to. None are left.
    const KNOWN: &[(&str, &str)] = &[];

    /// Files known to be on an import circle, to be removed, never added to. None are left.
    const KNOWN_CIRCLES: &[&str] = &[];

    fn floor(module: &str) -> Option<u8> {
        FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
    }

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
                out.push(p);
            }
        }
    }

    /// The module path of a file: `src/store/appeals.rs` → `["store", "appeals"]`.
    fn module_of(src: &Path, file: &Path) -> Vec<String> {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        if parts.last().is_some_and(|l| l == "mod") {
            parts.pop();
        }
        parts
    }

    /// The code of a file without comments, doc comments and its unit-test module.
    fn code(text: &str) -> String {
        let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
        text[..cut].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
    }

    /// The segments of the path that starts `s` (`a::b::{c, d::e}` gives `a::b::c` and
    /// `a::b::d::e`), each prefixed with `prefix`.
    fn segments(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut segs = prefix;
        let mut s = s.trim_start();
        loop {
            if let Some(group) = s.strip_prefix('{') {
                let mut depth = 1;
                let end = group.find(|c: char| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                });
                let inner = &group[..end.unwrap_or(group.len())];
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            segments(&inner[start..i], segs.clone(), out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                segments(&inner[start..], segs.clone(), out);
                return;
            }
            let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
            if end == 0 {
                break;
            }
            segs.push(s[..end].to_string());
            s = &s[end..];
            match s.strip_prefix("::") {
                Some(t) => s = t,
                None => break,
            }
        }
        if !segs.is_empty() {
            out.push(segs);
        }
    }

    /// Every path of a text that starts at the crate (`crate::`), at the file's own module
    /// (`self::`, a facade's re-exports) or at its parent (`super::`), as module segments from
    /// the crate's root.
    fn crate_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < text.len() {
            let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b'$' || bytes[i - 1] == b':');
            if word_start && text[i..].starts_with("crate::") {
                segments(&text[i + 7..], Vec::new(), &mut out);
                i += 7;
            } else if word_start && text[i..].starts_with("self::") {
                segments(&text[i + 6..], module.to_vec(), &mut out);
                i += 6;
            } else if word_start && text[i..].starts_with("super::") {
                let mut base = module.to_vec();
                base.pop();
                let mut j = i + 7;
                while text[j..].starts_with("super::") {
                    base.pop();
                    j += 7;
                }
                segments(&text[j..], base, &mut out);
                i = j;
            } else {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out.retain(|p| !p.is_empty());
        out
    }

    struct House {
        /// File module path → the file's `crate::` paths.
        files: BTreeMap<Vec<String>, Vec<Vec<String>>>,
    }

    fn house() -> House {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut list = Vec::new();
        sources(&src, &mut list);
        let mut files = BTreeMap::new();
        for f in list {
            let text = std::fs::read_to_string(&f).unwrap();
            let module = module_of(&src, &f);
            let paths = crate_paths(&code(&text), &module);
            files.insert(module, paths);
        }
        House { files }
    }

    impl House {
        /// The file a path points into: its longest prefix that is a file's module.
        fn file_of(&self, path: &[String]) -> Option<Vec<String>> {
            (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| self.files.contains_key(p))
        }
    }

    /// The store finds facts and words nothing: every sentence a person reads comes from the
    /// domain or a use case (`domain::refusals` for refusals found inside a transaction).
    #[test]
    fn the_store_holds_no_russian_sentence() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut list = Vec::new();
        sources(&src.join("store"), &mut list);
        let mut worded = Vec::new();
        for f in list {
            let text = code(&std::fs::read_to_string(&f).unwrap());
            for (n, line) in text.lines().enumerate() {
                let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
                if quoted.iter().any(|q| q.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))) {
                    worded.push(format!("{}:{}", f.display(), n + 1));
                }
            }
        }
        assert!(worded.is_empty(), "Russian wording in the store: {worded:#?}");
    }

    #[test]
    fn every_module_has_a_floor() {
        for module in house().files.keys().filter_map(|m| m.first()) {
            if module != "lib" && module != "architecture" {
                assert!(floor(module).is_some(), "src/{module}: give it a floor in architecture::FLOORS");
            }
        }
    }

    #[test]
    fn arrows_point_down_or_along_their_floor() {
        let h = house();
        let mut wrong = BTreeSet::new();
        for (file, paths) in &h.files {
            let Some(from) = file.first().and_then(|m| floor(m).map(|f| (m.clone(), f))) else { continue };
            for p in paths {
                let Some(to) = floor(&p[0]) else { continue };
                let upward = to > from.1;
                let sideways = to == from.1 && p[0] != from.0 && NO_SIDEWAYS.contains(&to);
                if upward || sideways {
                    wrong.insert((file.join("/"), p[0].clone()));
                }
            }
        }
        let known: BTreeSet<(String, String)> = KNOWN.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let new: Vec<_> = wrong.difference(&known).collect();
        assert!(new.is_empty(), "imports against the floors (file → module): {new:#?}");
        let gone: Vec<_> = known.difference(&wrong).collect();
        assert!(gone.is_empty(), "fixed: remove from KNOWN {gone:#?}");
    }

    #[test]
    fn no_two_files_import_each_other_through_a_circle() {
        let h = house();
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (file, paths) in &h.files {
            for p in paths {
                if let Some(to) = h.file_of(p) {
                    if &to != file && !file.starts_with(&to) {
                        edges.entry(file.clone()).or_default().insert(to);
                    }
                }
            }
        }
        // A circle exists when a file reaches itself again.
        let mut circles = Vec::new();
        for start in edges.keys() {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<Vec<String>> = edges[start].iter().cloned().collect();
            while let Some(f) = stack.pop() {
                if &f == start {
                    circles.push(start.join("/"));
                    break;
                }
                if seen.insert(f.clone()) {
                    stack.extend(edges.get(&f).into_iter().flatten().cloned());
                }
            }
        }
        let new: Vec<&String> = circles.iter().filter(|c| !KNOWN_CIRCLES.contains(&c.as_str())).collect();
        assert!(new.is_empty(), "files on an import circle: {new:#?}");
        let gone: Vec<&&str> = KNOWN_CIRCLES.iter().filter(|k| !circles.iter().any(|c| c == *k)).collect();
        assert!(gone.is_empty(), "no longer on a circle: remove from KNOWN_CIRCLES {gone:#?}");
    }
}
