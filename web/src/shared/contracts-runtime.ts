/**
 * What the browser bundle takes from @helpdesk/contracts at run time: enums and limits only.
 * vite.config.ts points the package name here so the zod schemas (and zod itself, ~60 KB gzipped)
 * stay out of the first load; TypeScript still checks imports against the real package.
 */
export * from "../../../contracts/src/enums";
export * from "../../../contracts/src/limits";
