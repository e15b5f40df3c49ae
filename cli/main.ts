import { Command } from 'commander';
import { registerContactsCommands } from './commands/contacts.ts';
import { CliExit } from './commands/context.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerShareCommand } from './commands/share.ts';

const program = new Command()
  .name('facedrop')
  .description('Gets every group photo to the people who are in it, by face matching.')
  .showHelpAfterError();

registerServeCommand(program);
registerContactsCommands(program);
registerShareCommand(program);

await program.parseAsync(process.argv).catch((error: unknown) => {
  if (!(error instanceof CliExit)) throw error;
});
