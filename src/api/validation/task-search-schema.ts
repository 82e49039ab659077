/** Drove's task search form (docs/api.md §3.6): both fields required, `[A-Za-z0-9_-]*`. */
import { z } from 'zod';
import { identifier } from './field-schema.ts';

export const taskSearchSchema = z.object({
  taskSearchAppName: identifier(),
  taskSearchTaskID: identifier(),
});

export type TaskSearch = z.output<typeof taskSearchSchema>;
