/** Small builders for the OpenAPI entries every route repeats. */
/** OpenAPI response entry for a JSON body. */
export const jsonResponse = <T>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

/** OpenAPI request body entry: required JSON. */
export const jsonBody = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
