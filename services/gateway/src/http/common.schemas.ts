import { z } from 'zod';

/** Said of every strict body in the OpenAPI document. */
export const STRICT_BODY_NOTE = 'Unknown fields are refused with 400 naming each one.';

/** A display name (person, organization, API key): trimmed, 1 to 200 characters. */
export const displayName = z.string().trim().min(1).max(200);
