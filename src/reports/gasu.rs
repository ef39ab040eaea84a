//! ГАСУ ММО monthly forms (DOMAIN.md §7): indicator sets defined in `config/exports/`.
//! Not built yet: see the issue-12 report.
