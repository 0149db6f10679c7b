//! The `cme` command line: every flag is defined once here, and help text,
//! parsing and dispatch all come from these definitions.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::calendar::Period;
use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use crate::ingest::{IngestOptions, IngestReport};
use crate::publish::manifest::Manifest;
use crate::transform::{TransformOptions, TransformReport};
use crate::warehouse::Warehouse;

const AFTER_HELP: &str = "\
Exit codes:
  0   success
  2   usage error (bad command line)
  3   bad input: the extract or the configuration cannot be used
  4   data-quality failure: a check failed, nothing was published
  5   storage failure: the warehouse could not be read or written
  6   warehouse busy: another run holds its lock (or committed the same
      period first); nothing was published, try again later
  70  internal error: a bug, please report it

Documentation: README.md and docs/ in the repository.";

/// Nightly pipeline for the Children Missing Education (CME) performance
/// summary: ingest a case-level extract, compute the indicators with SQL,
/// publish Parquet tables and a manifest.
#[derive(Debug, Parser)]
#[command(name = "cme", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    /// More log detail (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only warnings and errors in the log.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every stage: ingest, transform, publish.
    #[command(after_help = AFTER_HELP)]
    Run {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        period: PeriodArg,
        #[command(flatten)]
        input: InputArgs,
        /// Use the newest staged extract taken on or before this date
        /// (default: the one just ingested).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
    },
    /// Read an extract, validate and pseudonymise it, and stage it as Parquet.
    #[command(after_help = AFTER_HELP)]
    Ingest {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Compute the indicator tables from a staged extract with the SQL in sql/.
    #[command(after_help = AFTER_HELP)]
    Transform {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        period: PeriodArg,
        /// Use the newest staged extract taken on or before this date
        /// (YYYY-MM-DD), to re-run a report as the data stood then.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
    },
    /// Publish the transformed tables and a manifest under runs/<period>/<run id>/.
    #[command(after_help = AFTER_HELP)]
    Publish {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        period: PeriodArg,
    },
    /// Query the warehouse with SQL, read-only: one query, a file, or an
    /// interactive shell when neither is given (docs/sql.md).
    #[command(after_help = AFTER_HELP)]
    Sql {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        run: RunSelection,
        /// The query; omit it (and -f) for the interactive shell.
        query: Option<String>,
        /// Run the statements of a SQL file.
        #[arg(short = 'f', long, conflicts_with = "query")]
        file: Option<PathBuf>,
        /// Output format (default: table on a terminal, csv otherwise).
        #[arg(long, value_enum)]
        format: Option<crate::sql::output::Format>,
        /// Write the result to this file instead of stdout (needed for parquet).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Rows shown by the table format (at least 1).
        #[arg(long, default_value_t = 40, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        max_rows: usize,
    },
    /// List the tables `cme sql` can query.
    #[command(after_help = AFTER_HELP)]
    Tables {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        run: RunSelection,
    },
    /// Remove a stuck warehouse lock (left by a run that was killed on
    /// another machine), after showing who holds it and asking.
    #[command(after_help = AFTER_HELP)]
    Unlock {
        #[command(flatten)]
        common: Common,
        /// Do not ask: remove the lock whoever holds it.
        #[arg(long)]
        yes: bool,
    },
    /// Write a synthetic extract (fake people, realistic shape): CSV, or
    /// xlsx for `--style casesys` with an `.xlsx` output.
    #[command(after_help = AFTER_HELP)]
    Synth {
        /// Output file (`make sample` writes the bundled sample).
        #[arg(long, short)]
        output: PathBuf,
        /// Random seed; the default reproduces the bundled sample.
        #[arg(long, default_value_t = crate::synth::SynthOptions::default().seed)]
        seed: u64,
        /// Copies of the whole population with separate ids: every count is
        /// multiplied by this (for benchmarks).
        #[arg(long, default_value_t = 1)]
        authorities: u32,
        /// Shape of the export: `canonical` (the extract contract) or
        /// `casesys` (another system's export: other headers, labels,
        /// Windows-1252, a title row and a total row; see
        /// pipelines/casesys.toml). CSV or xlsx by the output's extension.
        #[arg(long, default_value = "canonical")]
        style: crate::synth::Style,
    },
}

/// Options every stage shares.
#[derive(Debug, Args)]
pub struct Common {
    /// Pipeline configuration file.
    #[arg(long, default_value = "pipelines/cme.toml", env = "CME_PIPELINE")]
    pub pipeline: PathBuf,
    /// Warehouse location: a local folder, file://, s3://bucket/prefix,
    /// az://container/prefix, abfss://... or gs://bucket/prefix.
    #[arg(long, default_value = "./warehouse", env = "CME_WAREHOUSE")]
    pub warehouse: String,
}

/// Which committed run `cme sql` and `cme tables` read.
#[derive(Debug, Args)]
pub struct RunSelection {
    /// The committed run of this reporting month, YYYY-MM (default: the
    /// newest month with a committed run).
    #[arg(long, value_parser = parse_period, conflicts_with = "run")]
    pub period: Option<Period>,
    /// A run by its id (any run with a manifest, committed or not).
    #[arg(long)]
    pub run: Option<String>,
}

impl RunSelection {
    fn selection(&self) -> crate::sql::catalog::Selection {
        crate::sql::catalog::Selection {
            period: self.period,
            run_id: self.run.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct PeriodArg {
    /// Reporting month, YYYY-MM (default: the last complete month).
    #[arg(long, value_parser = parse_period)]
    pub period: Option<Period>,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// The extract to read (default: [source] path in the pipeline file).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The date the extract was taken, YYYY-MM-DD (default: the file's
    /// modified date). Staged extracts are kept per extract date.
    #[arg(long, value_parser = parse_date)]
    pub extract_date: Option<NaiveDate>,
}

fn parse_period(text: &str) -> std::result::Result<Period, String> {
    Period::parse(text).map_err(|e| e.to_string())
}

fn parse_date(text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date in the form YYYY-MM-DD"))
}

struct Loaded {
    config: PipelineConfig,
    pipeline_dir: PathBuf,
    warehouse: Warehouse,
    period: Period,
}

fn load(common: &Common, period: Option<Period>) -> Result<Loaded> {
    let config = PipelineConfig::load(&common.pipeline)?;
    let pipeline_dir = common
        .pipeline
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut config = config;
    // Environment overrides for schedulers and test servers.
    config.storage.apply_env()?;
    let warehouse = Warehouse::open_with(&common.warehouse, &config.storage)?;
    let period =
        period.unwrap_or_else(|| Period::last_complete_before(chrono::Local::now().date_naive()));
    Ok(Loaded {
        config,
        pipeline_dir,
        warehouse,
        period,
    })
}

fn sql_dir(loaded: &Loaded) -> PathBuf {
    let configured = Path::new(&loaded.config.transform.sql_dir);
    if configured.is_absolute() {
        configured.to_path_buf()
    } else {
        loaded.pipeline_dir.join(configured)
    }
}

fn ingest_options(loaded: &Loaded, input: &InputArgs) -> Result<IngestOptions> {
    let path = input
        .input
        .clone()
        .or_else(|| loaded.config.source.path.clone())
        .ok_or_else(|| {
            Error::Input("no extract given: pass --input or set [source] path".into())
        })?;
    Ok(IngestOptions {
        input: path,
        extract_date: input.extract_date,
    })
}

pub async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            common,
            period,
            input,
            as_of,
        } => {
            let loaded = load(&common, period.period)?;
            let options = ingest_options(&loaded, &input)?;
            let mut lock = lock(&loaded, &format!("run {}", loaded.period)).await?;
            let stages = async {
                let ingest =
                    crate::ingest::ingest(&loaded.config, &loaded.warehouse, &options).await?;
                lock.renew().await?;
                let as_of = as_of.or(Some(ingest.extract_date));
                let transform = crate::transform::transform(
                    &loaded.config,
                    &loaded.warehouse,
                    &TransformOptions {
                        period: loaded.period,
                        as_of,
                        sql_dir: sql_dir(&loaded),
                    },
                )
                .await?;
                lock.renew().await?;
                let run_id = crate::publish::new_run_id();
                let manifest = crate::publish::publish(
                    &loaded.config,
                    &loaded.warehouse,
                    loaded.period,
                    &run_id,
                )
                .await?;
                Ok::<_, Error>((ingest, transform, manifest))
            }
            .await;
            lock.release().await;
            let (ingest, transform, manifest) = stages?;
            print_ingest(&ingest);
            print_transform(&transform);
            print_headline(&loaded, &manifest).await?;
            print_publish(&loaded, &manifest);
        }
        Command::Ingest { common, input } => {
            let loaded = load(&common, None)?;
            let options = ingest_options(&loaded, &input)?;
            let lock = lock(&loaded, "ingest").await?;
            let report = crate::ingest::ingest(&loaded.config, &loaded.warehouse, &options).await;
            lock.release().await;
            let report = report?;
            print_ingest(&report);
            println!(
                "  staged      {}",
                loaded.warehouse.describe(&report.staged_object)
            );
        }
        Command::Transform {
            common,
            period,
            as_of,
        } => {
            let loaded = load(&common, period.period)?;
            let lock = lock(&loaded, &format!("transform {}", loaded.period)).await?;
            let report = crate::transform::transform(
                &loaded.config,
                &loaded.warehouse,
                &TransformOptions {
                    period: loaded.period,
                    as_of,
                    sql_dir: sql_dir(&loaded),
                },
            )
            .await;
            lock.release().await;
            print_transform(&report?);
        }
        Command::Publish { common, period } => {
            let loaded = load(&common, period.period)?;
            let lock = lock(&loaded, &format!("publish {}", loaded.period)).await?;
            let run_id = crate::publish::new_run_id();
            let manifest =
                crate::publish::publish(&loaded.config, &loaded.warehouse, loaded.period, &run_id)
                    .await;
            lock.release().await;
            let manifest = manifest?;
            print_headline(&loaded, &manifest).await?;
            print_publish(&loaded, &manifest);
        }
        Command::Sql {
            common,
            run,
            query,
            file,
            format,
            output,
            max_rows,
        } => {
            sql(&common, &run, query, file, format, output, max_rows).await?;
        }
        Command::Tables { common, run } => {
            let (_, catalog) = open_sql(&common, &run).await?;
            crate::sql::shell::print_tables(&catalog);
        }
        Command::Unlock { common, yes } => {
            let loaded = load(&common, None)?;
            unlock(&loaded.warehouse, yes).await?;
        }
        Command::Synth {
            output,
            seed,
            authorities,
            style,
        } => {
            if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::storage("create folder", parent.display().to_string(), e)
                })?;
            }
            let options = crate::synth::SynthOptions { seed, authorities };
            let summary = crate::synth::write_style(&options, style, &output)
                .map_err(|e| Error::storage("write", output.display().to_string(), e))?;
            println!(
                "synthetic extract: {} ({} episodes, {} children, {} families; seed {seed})",
                output.display(),
                summary.rows,
                summary.children,
                summary.families
            );
        }
    }
    Ok(())
}

/// The session `cme sql` and `cme tables` query: the selected run's tables
/// and the configuration's reference tables.
async fn open_sql(
    common: &Common,
    run: &RunSelection,
) -> Result<(
    datafusion::prelude::SessionContext,
    crate::sql::catalog::Catalog,
)> {
    // Reading must not create: a mistyped local warehouse is an error, not
    // a new empty folder.
    if let Some(path) = crate::warehouse::local_folder(&common.warehouse) {
        if !path.is_dir() {
            return Err(Error::storage(
                "open warehouse",
                path.display().to_string(),
                "no such folder (give the warehouse `cme run` publishes to with --warehouse)",
            ));
        }
    }
    let loaded = load(common, None)?;
    let ctx = crate::transform::session::session(&loaded.config.engine, &loaded.warehouse)?;
    let mut catalog = crate::sql::catalog::open(&ctx, &loaded.warehouse, &run.selection()).await?;
    crate::sql::catalog::register_reference(&ctx, &loaded.config, &mut catalog)?;
    Ok((ctx, catalog))
}

/// `cme sql`: one query, a file of statements, or the shell.
async fn sql(
    common: &Common,
    run: &RunSelection,
    query: Option<String>,
    file: Option<PathBuf>,
    format: Option<crate::sql::output::Format>,
    output: Option<PathBuf>,
    max_rows: usize,
) -> Result<()> {
    use crate::sql::output::{Format, Sink};
    use std::io::IsTerminal;
    let shell = query.is_none() && file.is_none();
    if shell && output.is_some() {
        return Err(Error::Input(
            "--output goes with a query or -f FILE; the shell prints its results".into(),
        ));
    }
    if shell && format == Some(Format::Parquet) {
        return Err(Error::Input(
            "--format parquet goes with a query or -f FILE and --output; the shell prints its results"
                .into(),
        ));
    }
    let (ctx, catalog) = open_sql(common, run).await?;
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    let format = format.unwrap_or(if to_terminal {
        Format::Table
    } else {
        Format::Csv
    });
    let (script, source) = match (query, file) {
        (Some(query), _) => (query, None),
        (None, Some(path)) => (
            crate::sql::script::read_file(&path)?,
            Some(path.display().to_string()),
        ),
        (None, None) => {
            let options = crate::sql::shell::ShellOptions {
                format,
                max_rows,
                history: crate::sql::shell::default_history(),
            };
            return crate::sql::shell::run(&ctx, &catalog, &options).await;
        }
    };
    let mut sink = match &output {
        // `cme sql` only reads the warehouse: --output may not land in it.
        Some(path) => {
            let warehouse = crate::warehouse::local_folder(&common.warehouse)
                .and_then(|folder| std::fs::canonicalize(folder).ok());
            Sink::file(path, warehouse.as_deref())?
        }
        None => Sink::Stdout,
    };
    // Ctrl-C or SIGTERM stops the query; the unfinished output file is
    // deleted with the sink, the file it would have replaced is untouched.
    let run = crate::sql::run_script(
        &ctx,
        &script,
        source.as_deref(),
        format,
        max_rows,
        &mut sink,
    );
    tokio::select! {
        result = run => result?,
        signal = crate::sql::interrupted() => {
            return Err(Error::Input(format!("query cancelled ({signal}); nothing was written")));
        }
    }
    sink.finish()
}

/// Takes the warehouse lock for a writing command.
async fn lock(loaded: &Loaded, command: &str) -> Result<crate::lock::WarehouseLock> {
    crate::lock::WarehouseLock::acquire(
        &loaded.warehouse,
        command,
        loaded.config.storage.lock_ttl_secs,
    )
    .await
}

/// `cme unlock`: shows the holder, asks on a terminal unless `--yes`.
async fn unlock(warehouse: &Warehouse, yes: bool) -> Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    let holder = match crate::lock::current_holder(warehouse).await? {
        None => {
            println!("warehouse {} is not locked", warehouse.display());
            return Ok(());
        }
        Some(Ok(holder)) => holder.describe(),
        Some(Err(_)) => "an unreadable lock object".to_string(),
    };
    println!("warehouse {} is locked by {holder}", warehouse.display());
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::Input(
                "not removing the lock without confirmation: run `cme unlock` on a terminal, or pass --yes".into(),
            ));
        }
        print!("Remove it? Only if that run is no longer running. [y/N] ");
        std::io::stdout().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            println!("left the lock in place");
            return Ok(());
        }
    }
    crate::lock::force_unlock(warehouse).await?;
    println!("lock removed");
    Ok(())
}

/// "12 passed, 1 warned (not_null(episodes.family_key): 55 rows)"
fn describe_tests(results: &[crate::datatests::TestResult]) -> String {
    let passed = results.iter().filter(|r| r.passed).count();
    let warned: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {} rows", r.name, r.failing_rows))
        .collect();
    if warned.is_empty() {
        format!("{passed} passed")
    } else {
        format!(
            "{passed} passed, {} warned ({})",
            warned.len(),
            warned.join("; ")
        )
    }
}

fn print_ingest(report: &IngestReport) {
    println!(
        "ingest      {} (extract date {}, {})",
        report.file, report.extract_date, report.encoding
    );
    println!(
        "  rows        {} read = {} staged + {} quarantined + {} exact duplicates dropped",
        report.rows_read, report.rows_staged, report.rows_quarantined, report.exact_duplicates
    );
    if !report.quarantine_by_reason.is_empty() {
        let reasons: Vec<String> = report
            .quarantine_by_reason
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        println!(
            "  quarantine  {} ({})",
            reasons.join(", "),
            report.quarantine_object
        );
    }
    if !report.data_tests.is_empty() {
        println!("  data tests  {}", describe_tests(&report.data_tests));
    }
    if !report.ignored_columns.is_empty() {
        println!("  ignored     {}", report.ignored_columns.join(", "));
    }
    for (column, values) in &report.unmapped_values {
        let rows: u64 = values.values().sum();
        println!("  unmapped    {column}: {rows} rows counted as the fallback category");
    }
}

fn print_transform(report: &TransformReport) {
    println!(
        "transform   period {} (to {}), extract of {}",
        report.reporting_period, report.period_end, report.extract_date
    );
    println!(
        "  sql         {} files, {} statements; checks passed: {}",
        report.sql_files.len(),
        report.statements,
        report.checks_passed.join(", ")
    );
    if !report.data_tests.is_empty() {
        println!("  data tests  {}", describe_tests(&report.data_tests));
    }
    for table in &report.tables {
        println!("  table       {} ({} rows)", table.name, table.rows);
    }
}

fn print_publish(loaded: &Loaded, manifest: &Manifest) {
    let prefix = crate::publish::run_prefix(loaded.period, &manifest.run_id);
    println!("published   {}/", loaded.warehouse.describe(&prefix));
    let width = manifest
        .outputs
        .iter()
        .map(|o| o.table.len())
        .chain(manifest.reports.iter().map(|r| r.name.len()))
        .max()
        .unwrap_or(0)
        .max(20);
    for output in &manifest.outputs {
        println!("  {:<width$} {} rows", output.table, output.rows);
    }
    for report in &manifest.reports {
        println!("  {:<width$} report", report.name);
    }
    println!("  {:<width$} run {}", "manifest.json", manifest.run_id);
    println!(
        "committed   {} -> run {}",
        loaded
            .warehouse
            .describe(&crate::publish::pointer::current_pointer(loaded.period)),
        manifest.run_id
    );
    println!(
        "BI dataset  {}/<table>/{}={}/",
        loaded.warehouse.describe(crate::publish::bi::BI_PREFIX),
        crate::publish::bi::PARTITION_KEY,
        loaded.period
    );
}

/// A few headline figures from the published summary, so a person sees at a
/// glance that the run produced what they expect.
async fn print_headline(loaded: &Loaded, manifest: &Manifest) -> Result<()> {
    let Some(summary) = manifest
        .outputs
        .iter()
        .find(|o| o.table == "performance_summary")
    else {
        return Ok(());
    };
    let ctx = crate::transform::session::session(&loaded.config.engine, &loaded.warehouse)?;
    crate::transform::register_parquet(
        &ctx,
        &loaded.warehouse,
        "performance_summary",
        &summary.object,
    )
    .await?;
    let sql = "SELECT indicator_id, month_label, month_value, quarter_label, quarter_value, year_to_date_value \
               FROM performance_summary WHERE category = 'All' \
               AND indicator_id IN ('1a', '1a_families', '1b', '6', '7', '8') ORDER BY category_order";
    let batches = ctx
        .sql(sql)
        .await
        .and_then(|df| Ok(df))
        .map_err(|e| Error::internal("headline", e))?
        .collect()
        .await
        .map_err(|e| Error::internal("headline", e))?;
    use datafusion::arrow::array::{Array, Int64Array, StringArray};
    let mut lines = Vec::new();
    let mut labels = (String::new(), String::new());
    for batch in &batches {
        let id = batch.column(0).as_any().downcast_ref::<StringArray>();
        let month_label = batch.column(1).as_any().downcast_ref::<StringArray>();
        let month = batch.column(2).as_any().downcast_ref::<Int64Array>();
        let quarter_label = batch.column(3).as_any().downcast_ref::<StringArray>();
        let quarter = batch.column(4).as_any().downcast_ref::<Int64Array>();
        let (Some(id), Some(month_label), Some(month), Some(quarter_label), Some(quarter)) =
            (id, month_label, month, quarter_label, quarter)
        else {
            continue;
        };
        for row in 0..batch.num_rows() {
            labels = (
                month_label.value(row).to_string(),
                quarter_label.value(row).to_string(),
            );
            let value = |a: &Int64Array| {
                if a.is_null(row) {
                    "-".to_string()
                } else {
                    a.value(row).to_string()
                }
            };
            lines.push((id.value(row).to_string(), value(month), value(quarter)));
        }
    }
    let order = ["1a", "1a_families", "1b", "6", "7", "8"];
    let names = [
        "new children (1a)",
        "their families",
        "with a previous episode (1b)",
        "active at period end (6)",
        "cases closed (7)",
        "removal from roll authorised (8)",
    ];
    println!("indicators  {} | {}", labels.0, labels.1);
    for (id, name) in order.iter().zip(names) {
        if let Some((_, month, quarter)) = lines.iter().find(|(i, _, _)| i == id) {
            println!("  {name:<32} {month:>6} | {quarter:>6}");
        }
    }
    Ok(())
}
