//! The export's two file forms, written object by object: the JSON document `{"items": [...]}`
//! and the connector's batch ZIP (one `<guid>.json` per appeal) cut into parts of bounded size.

use std::io::{self, Write};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Bytes a ZIP's end records take beyond its entries (end of central directory, with slack).
const ZIP_END: usize = 22 + 128;

/// The most a `<guid>.json` entry of `len` JSON bytes can take in a streamed ZIP: its local
/// header and name, deflate's worst case (stored blocks: 5 bytes per 64 KiB), the data
/// descriptor, and its central directory record and name, with slack for extra fields.
pub fn entry_bound(len: usize) -> usize {
    const NAME: usize = 36 + 5;
    len + len / 1000 + 16 + (30 + NAME + 24 + 64) + (46 + NAME + 64)
}

/// The part (1-based) of each entry: greedily in order, so that each part's entries fit in
/// `limit` bytes; always at least one part (an empty one when there is nothing to send).
pub fn partition(lens: &[usize], limit: usize) -> (Vec<u32>, u32) {
    let mut part = 1;
    let mut used = ZIP_END;
    let mut out = Vec::with_capacity(lens.len());
    for &len in lens {
        let b = entry_bound(len);
        if used + b > limit && used > ZIP_END {
            part += 1;
            used = ZIP_END;
        }
        used += b;
        out.push(part);
    }
    (out, part)
}

/// A writer of one export file.
pub enum Out<W: Write> {
    /// `{"items":[…]}`, byte for byte what serde_json writes for the whole document.
    Json {
        /// Where it goes.
        w: W,
        /// No item written yet.
        first: bool,
    },
    /// One deflated `<guid>.json` per appeal, every entry dated 1980-01-01 (a re-export is
    /// byte-identical).
    Zip(Box<ZipWriter<StreamWriter<W>>>),
}

impl<W: Write> Out<W> {
    /// Starts a file of the given form.
    pub fn start(mut w: W, zip: bool) -> io::Result<Self> {
        if zip {
            return Ok(Out::Zip(Box::new(ZipWriter::new_stream(w))));
        }
        w.write_all(b"{\"items\":[")?;
        Ok(Out::Json { w, first: true })
    }

    /// Adds one appeal's object.
    pub fn item(&mut self, guid: &str, json: &[u8]) -> io::Result<()> {
        match self {
            Out::Json { w, first } => {
                if !*first {
                    w.write_all(b",")?;
                }
                *first = false;
                w.write_all(json)
            }
            Out::Zip(z) => {
                let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(DateTime::DEFAULT).unix_permissions(0o644);
                z.start_file(format!("{guid}.json"), opts).map_err(io::Error::other)?;
                z.write_all(json)
            }
        }
    }

    /// Ends the file and hands back the writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Out::Json { mut w, .. } => {
                w.write_all(b"]}")?;
                w.flush()?;
                Ok(w)
            }
            Out::Zip(z) => {
                let mut w = z.finish().map_err(io::Error::other)?.into_inner();
                w.flush()?;
                Ok(w)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_never_pass_their_limit() {
        let lens = [400, 400, 400, 5000, 10];
        let limit = ZIP_END + 2 * entry_bound(400);
        let (parts, n) = partition(&lens, limit);
        assert_eq!(parts, [1, 1, 2, 3, 4]);
        assert_eq!(n, 4);
        assert_eq!(partition(&[], limit), (vec![], 1));
    }

    #[test]
    fn a_zip_part_is_no_larger_than_its_bound_and_reproducible() {
        let objects: Vec<Vec<u8>> = (0..30).map(|i| format!("{{\"number\":\"ОГ-{i}\",\"pad\":\"{}\"}}", "я".repeat(i * 50)).into_bytes()).collect();
        let write = || {
            let mut out = Out::start(Vec::new(), true).unwrap();
            for (i, o) in objects.iter().enumerate() {
                out.item(&format!("00000000-0000-0000-0000-{i:012}"), o).unwrap();
            }
            out.finish().unwrap()
        };
        let bytes = write();
        let bound: usize = ZIP_END + objects.iter().map(|o| entry_bound(o.len())).sum::<usize>();
        assert!(bytes.len() <= bound, "{} > {bound}", bytes.len());
        assert_eq!(bytes, write());
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), 30);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("00000000-0000-0000-0000-000000000003.json").unwrap(), &mut s).unwrap();
        assert_eq!(s.as_bytes(), objects[3]);
    }

    #[test]
    fn json_is_the_whole_document() {
        let mut out = Out::start(Vec::new(), false).unwrap();
        out.item("x", b"{\"a\":1}").unwrap();
        out.item("y", b"{\"b\":2}").unwrap();
        assert_eq!(out.finish().unwrap(), b"{\"items\":[{\"a\":1},{\"b\":2}]}");
        assert_eq!(Out::start(Vec::new(), false).unwrap().finish().unwrap(), b"{\"items\":[]}");
    }
}
