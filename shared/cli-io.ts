/** What every command of the `smartmaint` entry point gets and exports; commands import it from here. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

export type CommandMain = (argv: string[], io: CliIo) => Promise<number>;

/** What every command module exports: its entry point and its usage text (also what `--help` prints). */
export interface CommandModule {
  main: CommandMain;
  usage: string;
}
