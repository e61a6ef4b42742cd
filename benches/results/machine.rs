//! What the numbers were measured on: CPU, cores, kernel, load, compiler, code and date,
//! read at run time (from `/proc`, `rustc -vV` and `git`), for `docs/results/machine.md`.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The first line of `program args` on stdout, or "unknown".
fn first_line_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The CPU model and the number of logical CPUs, from `/proc/cpuinfo`.
pub fn cpu() -> (String, usize) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or_else(
            || "unknown".to_owned(),
            |(_, model)| model.trim().to_owned(),
        );
    let logical = info.lines().filter(|l| l.starts_with("processor")).count();
    (model, logical)
}

/// The 1-minute load average (runnable threads, averaged), from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The running kernel, from `/proc/sys/kernel/osrelease`.
pub fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_owned())
}

/// `rustc -V` (cargo runs benches with its own toolchain on the `PATH`).
pub fn rustc() -> String {
    first_line_of("rustc", &["-V"])
}

/// The commit measured, and whether the working tree had changes on top of it (outside
/// `docs/results/`, which the run itself rewrites). Read before the run writes anything.
pub fn commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let head = first_line_of("git", &["-C", dir, "rev-parse", "--short=12", "HEAD"]);
    let dirty = Command::new("git")
        .args(["-C", dir, "status", "--porcelain", "--untracked-files=no"])
        .args(["--", ".", ":(exclude)docs/results"])
        .output()
        .map(|out| !out.stdout.is_empty())
        .unwrap_or(false);
    if dirty {
        format!("{head} with uncommitted changes")
    } else {
        head
    }
}

/// Now, as "YYYY-MM-DD HH:MM UTC".
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let (days, of_day) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day / 60 % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's well-known
/// days-to-civil conversion: count in 400-year eras of 146,097 days, with years starting
/// in March so that the leap day comes last).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Checks the date conversion against known dates (run by the smoke mode, since a
/// `harness = false` target runs no `#[test]`s).
pub fn check_calendar() {
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(20_791), (2026, 12, 4));
}
