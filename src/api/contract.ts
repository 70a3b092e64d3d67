// What the file of each resource declares for each of its endpoints: the schemas of its input and answer.
import type { z } from "zod";

export interface Contract {
  /** One line for the OpenAPI document. */
  summary: string;
  /** Path parameters: from their text in the path to what the handler takes. */
  params?: z.ZodType<unknown, Record<string, string>>;
  query?: z.ZodObject;
  /** A JSON body; an endpoint whose route takes raw bytes has none. */
  body?: z.ZodType;
  /**
   * The answer: the JSON of a success; for a route answering bytes or whether something exists, the value
   * its handler returns; for JSON lines and server-sent events, one line or one event's data.
   */
  response: z.ZodType;
}
