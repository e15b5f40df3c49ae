import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { startedSharedFaceEngine } from '../core/faces/engine.ts';
import { registerContactsCommands } from './commands/contacts.ts';
import { CliExit } from './commands/context.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerShareCommand } from './commands/share.ts';

const program = new Command()
  .name('facedrop')
  .description('Gets every group photo to the people who are in it, by face matching.')
  .showHelpAfterError()
  // Before the commands are added (they inherit it): commander's own exit (help, a bad option) must not
  // end the process under face workers that are still loading (cli/prewarm.ts).
  .exitOverride();

registerServeCommand(program);
registerContactsCommands(program);
registerShareCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  await exitAfter(error);
}

/** Every failure ends here: one line on stderr (none when it was already printed), workers shut, then exit. */
async function exitAfter(error: unknown): Promise<never> {
  let code: number;
  if (error instanceof CommanderError) code = error.exitCode; // commander printed its message or the help
  else if (error instanceof CliExit) code = 1; // fail() printed it
  else if (error instanceof ConfigError) {
    process.stderr.write(`facedrop: ${error.oneLine}\n`);
    code = 1;
  } else {
    // A bug or an environment problem nobody foresaw: one line, the stack only when asked for.
    process.stderr.write(`facedrop: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    code = 2;
  }
  // Exiting while a face worker still loads onnxruntime aborts the process (Napi::Error, exit 134).
  await startedSharedFaceEngine()
    ?.close()
    .catch(() => {});
  process.exit(code);
}
