// Worker threads do not inherit the tsx loader of the thread that starts them (Node 20):
// register it here, then load the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./writer-thread.ts');
