//! The command line: `agentgw [serve | check-config | migrate | openapi] [--config PATH]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use agentgw_core::Config;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

/// The environment every command reads, shown under each `--help`.
const ENVIRONMENT: &str = "\
Environment:
  AGENTGW__<SECTION>__<KEY>  overrides a key of the configuration file,
                             e.g. AGENTGW__SERVER__LISTEN=0.0.0.0:8080,
                             AGENTGW__STORE__URL=postgres://user@host/db
  RUST_LOG                   log filter (default: info; migrate: warn),
                             e.g. RUST_LOG=agentgw=debug
  AGENTGW_LOG_FORMAT=json    one JSON object per log line (default: text)";

#[derive(Parser)]
#[command(
    name = "agentgw",
    version,
    about = "A compatibility gateway for helpdesk agent-management APIs",
    after_help = ENVIRONMENT
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Configuration file (TOML; see README.md "Configuration").
    #[arg(long, global = true, default_value = "config/default.toml")]
    config: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the configured routes (the default).
    #[command(after_help = ENVIRONMENT)]
    Serve,
    /// Validate the configuration, list every problem, and print the routing table.
    #[command(after_help = ENVIRONMENT)]
    CheckConfig,
    /// Copy every agent from one helpdesk to another (NAME: an upstream or embedded:<tenant>).
    #[command(after_help = ENVIRONMENT)]
    Migrate(crate::migrate::MigrateArgs),
    /// Print a face's OpenAPI 3.1 document (paths below the route prefix).
    #[command(after_help = ENVIRONMENT)]
    Openapi {
        /// The dialect: ndoto, livechat, supporthub, libredesk or comm100.
        dialect: String,
    },
}

/// Parse the command line and run the command; the exit code is 0 only on success.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.config),
        Command::CheckConfig => check_config(&cli.config),
        Command::Migrate(args) => migrate(&cli.config, args),
        Command::Openapi { dialect } => openapi(&dialect),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agentgw: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn openapi(dialect: &str) -> anyhow::Result<()> {
    let Some(adapter) = crate::adapters::adapter(dialect) else {
        let names: Vec<&str> = crate::adapters::ADAPTERS
            .iter()
            .map(|a| a.dialect.name)
            .collect();
        bail!("no dialect `{dialect}`; one of: {}", names.join(", "));
    };
    print!(
        "{}",
        agentgw_inbound::openapi::to_file(&(adapter.openapi)())
    );
    Ok(())
}

/// Load and validate against the dialects this build has.
pub(crate) fn load(path: &Path) -> anyhow::Result<Config> {
    Config::load(path, &crate::adapters::dialects())
        .with_context(|| format!("configuration {}", path.display()))
}

fn check_config(path: &Path) -> anyhow::Result<()> {
    let config = load(path)?;
    println!("store {}", agentgw_store::redact_url(&config.store.url));
    if let Some(admin) = &config.admin {
        let guarded = if admin.token.is_some() {
            "token required"
        } else {
            "no token"
        };
        println!("admin {} ({guarded})", admin.listen);
        if admin.beyond_loopback() && admin.token.is_none() {
            // Not an error: a private network may be enough. But the page and /metrics then
            // answer anyone who reaches the address.
            println!(
                "warning: [admin] listens on {} beyond loopback without a token: anyone who reaches it reads the status page and /metrics; set [admin] token (or token_file / token_env)",
                admin.listen
            );
        }
    }
    if config.routes.is_empty() {
        println!("no [[routes]]: nothing to serve (a file for `migrate`)");
    } else {
        println!("listen {}", config.server.listen);
        let rows: Vec<[String; 5]> = config
            .routes
            .iter()
            .map(|r| {
                let backend = match r.upstream.as_ref() {
                    Some(name) => format!("upstream {name}"),
                    None => format!("embedded:{}", r.tenant),
                };
                [
                    r.name.clone(),
                    r.dialect.name.to_owned(),
                    r.prefix.clone(),
                    backend,
                    r.credentials.len().to_string(),
                ]
            })
            .collect();
        print_table(
            ["route", "dialect", "prefix", "backend", "credentials"],
            &rows,
        );
    }
    if !config.upstreams.is_empty() {
        let rows: Vec<[String; 3]> = config
            .upstreams
            .values()
            .map(|u| {
                [
                    u.name.clone(),
                    u.dialect.name.to_owned(),
                    u.base_url.clone(),
                ]
            })
            .collect();
        print_table(["upstream", "dialect", "base_url"], &rows);
    }
    println!("configuration OK");
    Ok(())
}

/// Columns as wide as their widest cell (names and URLs can be long).
fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header);
    for row in rows {
        line(row.each_ref().map(String::as_str));
    }
}

fn serve(path: &Path) -> anyhow::Result<()> {
    let config = load(path)?;
    if config.routes.is_empty() {
        bail!(
            "configuration {}: no [[routes]]: the gateway would serve nothing",
            path.display()
        );
    }
    let export = config.tracing.as_ref().and_then(|t| {
        t.otlp_endpoint
            .clone()
            .map(|endpoint| (endpoint, t.service_name.clone()))
    });
    actix_web::rt::System::new().block_on(async move {
        // The exporter lives on this runtime (see otlp.rs).
        let provider = export
            .map(|(endpoint, name)| crate::otlp::start(&endpoint, &name))
            .transpose()?;
        agentgw_core::trace::export_spans(provider.is_some());
        let _log = init_tracing_with("info", provider.as_ref().map(crate::otlp::tracer));
        let served = crate::server::serve(path, config).await;
        if let Some(provider) = provider {
            crate::otlp::stop(provider).await;
        }
        served
    })
}

fn migrate(path: &Path, args: crate::migrate::MigrateArgs) -> anyhow::Result<()> {
    let _log = init_tracing_at("warn");
    let config = load(path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if runtime.block_on(crate::migrate::run(config, args))? {
        Ok(())
    } else {
        bail!("some agents were not migrated (see above)")
    }
}

/// Keeps the log flusher alive; dropping it writes what is buffered.
type LogGuard = crate::logs::FlushGuard<std::io::Stderr>;

fn init_tracing_at(default: &str) -> Option<LogGuard> {
    init_tracing_with(default, None)
}

/// Logs to stderr, filtered by `RUST_LOG` (else `default`), and spans to `export` if given.
fn init_tracing_with(
    default: &str,
    export: Option<opentelemetry_sdk::trace::Tracer>,
) -> Option<LogGuard> {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, Layer};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let json = std::env::var("AGENTGW_LOG_FORMAT").is_ok_and(|f| f == "json");
    // Colours only for a person at a terminal; files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // One log line per request must cost neither a write(2) nor a thread wake-up: see logs.rs.
    // Should its thread not start, lines go straight to stderr through fmt: slower, never silent.
    let started = crate::logs::LogBuffer::start(std::io::stderr()).ok();
    let (writer, requests, guard) = match started {
        Some((buffer, guard)) => (
            BoxMakeWriter::new({
                let buffer = buffer.clone();
                move || buffer.clone()
            }),
            Some(crate::access::RequestLines::new(buffer, json)),
            Some(guard),
        ),
        None => (BoxMakeWriter::new(std::io::stderr), None, None),
    };
    // The request line has a layer of its own (access.rs) when the buffer runs.
    let own_line = requests.is_some();
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    let lines = if json {
        lines.json().boxed()
    } else {
        lines.boxed()
    }
    .with_filter(tracing_subscriber::filter::filter_fn(move |meta| {
        !(own_line && meta.target() == crate::access::TARGET)
    }));
    let spans = export.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer));
    // A second init (tests in one process) is harmless: the first subscriber stays.
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(requests)
        .with(lines)
        .with(spans)
        .try_init();
    installed.ok().and(guard)
}
