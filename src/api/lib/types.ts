import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Principal } from '../../domain/video.js';
import type { Logger } from '../../logger.js';

export interface AppEnv {
  Variables: {
    principal: Principal;
    requestId: string;
    logger: Logger;
  };
}

export type AppOpenAPI = OpenAPIHono<AppEnv>;
