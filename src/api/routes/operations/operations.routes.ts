/** One route per operator action, made from the domain's table (OPERATOR_REQUESTS). */
import { createRoute, z } from '@hono/zod-openapi';
import { videoIdSchema } from '../../../domain/event-schemas.js';
import { OPERATOR_ACTION_TYPES, type OperatorActionType } from '../../../domain/operator-actions.js';
import { OPERATOR_REQUESTS } from '../../../domain/operator-requests.js';
import { authenticated, commonProblems, jsonBody, jsonResponse } from '../../lib/openapi.js';
import { problemResponse } from '../../lib/problem.js';
import { videoViewSchema } from '../videos/videos.schemas.js';

export const operatorActionRoute = (type: OperatorActionType) =>
  createRoute({
    ...authenticated('Operations'),
    method: 'post',
    path: `/videos/{videoId}/${type}`,
    summary: `${OPERATOR_REQUESTS[type].summary} (operators; recorded in the video's history with who did it)`,
    request: {
      params: z.object({ videoId: videoIdSchema }),
      body: jsonBody(z.strictObject(OPERATOR_REQUESTS[type].fields).openapi(`${type[0]!.toUpperCase()}${type.slice(1)}Request`)),
    },
    responses: {
      200: jsonResponse('Done: the video after the action', videoViewSchema),
      400: problemResponse('Invalid video id or body'),
      403: problemResponse('Only operators may act on videos'),
      404: problemResponse('No such video'),
      409: problemResponse("Refused: the workflow's reason (the video is finished, a blank reason, ...)"),
      415: problemResponse('The body is not JSON'),
      ...commonProblems('Temporal or Postgres is not answering'),
    },
  });

export const operatorActionRoutes = OPERATOR_ACTION_TYPES.map((type) => ({ type, route: operatorActionRoute(type) }));
