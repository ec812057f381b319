//! BENCHMARKS.md: each harness (`make bench`, `make chaos`) rewrites its own section,
//! between `<!-- name -->` and `<!-- /name -->`, and leaves the rest as it is.

use std::path::PathBuf;

pub fn path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md"))
}

/// The machine the figures come from.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{cores} cores ({cpu}), {mem_gib:.0} GiB RAM")
}

pub fn write_section(name: &str, body: &str) {
    let path = path();
    let current = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nWritten by `make bench` and `make chaos` (each rewrites its own section).\n".to_owned()
    });
    let (open, close) = (format!("<!-- {name} -->"), format!("<!-- /{name} -->"));
    let section = format!("{open}\n{}\n{close}", body.trim_end());
    let next = match (current.find(&open), current.find(&close)) {
        (Some(a), Some(b)) if b > a => format!("{}{section}{}", &current[..a], &current[b + close.len()..]),
        _ => format!("{}\n{section}\n", current.trim_end()),
    };
    std::fs::write(&path, next).unwrap();
}

/// Resident memory of a process, in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// CPU time a process has used so far (user + system), in milliseconds.
pub fn cpu_ms(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = [11, 12].iter().filter_map(|i| f.get(*i).and_then(|v| v.parse::<f64>().ok())).sum();
    ticks * 1000.0 / clock_ticks()
}

/// CPU milliseconds used so far by every PostgreSQL server process (all its backends).
pub fn postgres_cpu_ms() -> f64 {
    cpu_ms_of_command("postgres")
}

/// RabbitMQ's CPU milliseconds so far (its Erlang VM).
pub fn rabbitmq_cpu_ms() -> f64 {
    cpu_ms_of_command("beam.smp")
}

/// The CPU of every process whose command is `comm`.
fn cpu_ms_of_command(comm: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm))
        .map(cpu_ms)
        .sum()
}

/// The whole machine's CPU ticks so far: (busy, all). Busy is every state but idle and
/// iowait; two samples give how full the cores were between them.
pub fn machine_ticks() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return (0, 0) };
    let Some(cpu) = stat.lines().next() else { return (0, 0) };
    let f: Vec<u64> = cpu.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let all: u64 = f.iter().take(8).sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (all.saturating_sub(idle), all)
}
