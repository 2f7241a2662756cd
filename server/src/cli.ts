#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { Logger } from "pino";
import { createServer } from "./app.js";
import { seedDemo } from "./modules/system/seed-demo.js";
import { upsertAdmin } from "./modules/users/users.admin.js";
import { ConfigError, loadConfig, type TConfig } from "./platform/config.js";
import { DataDirInUseError, openDatabase } from "./platform/db/index.js";
import { isDatabaseUnavailableError } from "./platform/db-availability-errors.js";

const USAGE = `Usage: helpdesk <command>

Commands:
  start          Run the server (roles from SERVICES, default web,worker)
  worker         Run only background jobs and schedules (SERVICES=worker)
  migrate        Apply database migrations and exit
  create-admin   --email <e-mail> --password <password> [--name <name>]: create or reset an admin
  seed-demo      Fill the database with a realistic demo (users of every role, tickets in ru/en)

Configuration comes from the environment; see .env.example.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 1;
  }
  let config: TConfig;
  try {
    config = loadConfig(command === "worker" ? { ...process.env, SERVICES: "worker" } : process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  switch (command) {
    case "start":
    case "worker": {
      const server = await createServer(config);
      if (config.services.includes("web")) {
        await server.app.listen({ port: config.port, host: config.host });
        server.ctx.logger.info(
          {
            url: config.publicUrl,
            database: server.ctx.database.kind,
            docs: `${config.publicUrl}/api/docs/`,
          },
          "helpdesk is up",
        );
      } else {
        server.ctx.logger.info("helpdesk worker is up");
      }
      const safety = installProcessSafetyNets(server.ctx.logger);
      const stop = async (signal: string) => {
        server.ctx.logger.info({ signal }, "shutting down");
        // Requests and jobs get ten seconds to finish; then the process leaves anyway.
        setTimeout(() => process.exit(1), 10_000).unref();
        // A job still finishing may touch the closed pool; that is expected now, not a crash.
        safety.isShuttingDown = true;
        await server.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
      return -1;
    }
    case "migrate": {
      const database = await openDatabase({ ...config, pool: config.databasePool });
      await database.migrate();
      await database.close();
      process.stdout.write("Migrations applied.\n");
      return 0;
    }
    case "create-admin": {
      const { values } = parseArgs({
        args: rest,
        options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
      });
      if (!values.email || !values.password) {
        process.stderr.write("create-admin needs --email and --password\n");
        return 2;
      }
      const database = await openDatabase({ ...config, pool: config.databasePool });
      await database.migrate();
      try {
        await upsertAdmin(database.db, { email: values.email, password: values.password, name: values.name });
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        await database.close();
        return 2;
      }
      await database.close();
      process.stdout.write(`Admin ${values.email} is ready.\n`);
      return 0;
    }
    case "seed-demo": {
      const { values } = parseArgs({ args: rest, options: { tickets: { type: "string" } } });
      const server = await createServer({ ...config, services: ["web"] }, { jobs: "inline" });
      const summary = await seedDemo(server.ctx, { tickets: values.tickets ? Number(values.tickets) : 300 });
      await server.close();
      process.stdout.write(`${summary}\n`);
      return 0;
    }
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      return 1;
  }
}

/**
 * A long-running process outlives database outages: a rejection nobody awaited or an error
 * event nobody listened for that comes from the database being unreachable is logged as a
 * warning and the process carries on (the pool reconnects by itself). Anything else is a bug:
 * an unhandled rejection is logged at error level; an uncaught exception is logged as fatal
 * and the process exits, as Node would, because its state may be broken.
 */
function installProcessSafetyNets(logger: Logger) {
  const state = { isShuttingDown: false };
  process.on("unhandledRejection", (reason) => {
    if (state.isShuttingDown) logger.debug({ err: reason }, "unhandled rejection after shutdown");
    else if (isDatabaseUnavailableError(reason))
      logger.warn({ err: reason }, "database unavailable (unhandled rejection)");
    else logger.error({ err: reason }, "bug: unhandled promise rejection");
  });
  process.on("uncaughtException", (error) => {
    if (isDatabaseUnavailableError(error)) {
      logger.warn({ err: error }, "database unavailable (uncaught error)");
      return;
    }
    logger.fatal({ err: error }, "uncaught exception; exiting");
    process.exit(1);
  });
  return state;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DataDirInUseError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
