/**
 * A rejected input item, kept verbatim with its reason (DESIGN.md: bad input loses nothing).
 * Written by the file runner and the scoring worker, planned by the Kafka consumer.
 */
import { z } from 'zod';

export const DeadLetterSchema = z.object({
  /** `file:<path>` or `kafka:<topic>`. */
  source: z.string(),
  /** Where in the source: a line or element, or `<partition>:<offset>`. */
  sourceRef: z.string(),
  messageKey: z.string().nullish(),
  reason: z.string(),
  payload: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
