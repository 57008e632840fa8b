/**
 * The operator actions over HTTP (the CLI's `vidproc video retry|fail|extend`): the same table,
 * the same update on the video's workflow, refusals as 409 problems with the workflow's reason.
 */
import { publicVideo } from '../../../domain/public-video.js';
import { operatorRefusal } from '../../../domain/operator-actions.js';
import type { OperatorRequest } from '../../../domain/operator-requests.js';
import { OperatorActionRefusedError } from '../../../temporal/video-gateway.js';
import { createRouter } from '../../lib/create-app.js';
import { HttpProblem } from '../../lib/problem.js';
import type { VideosDeps } from '../videos/videos.index.js';
import { readVideo, videoNotFound } from '../videos/read-video.js';
import { operatorActionRoutes } from './operations.routes.js';

export function createOperationsRouter(deps: VideosDeps) {
  const router = createRouter();
  for (const { type, route } of operatorActionRoutes) {
    router.openapi(route, async (c) => {
      const principal = c.get('principal');
      const refusal = operatorRefusal(principal);
      if (refusal) throw new HttpProblem(403, refusal);
      const { videoId } = c.req.valid('param');
      c.req.valid('json');
      if (!(await readVideo({ ...deps, em: deps.orm.em }, videoId))) throw videoNotFound(videoId);
      // The workflow reads the request as the operator wrote it (one parse, in the domain).
      const fields = await c.req.json<Record<string, unknown>>();
      try {
        const view = await deps.videos
          .operate(videoId, { ...fields, type, by: principal.userId } as OperatorRequest)
          // This process's next read of the video shows the action (not a view from before it).
          .finally(() => deps.liveViews.forget(videoId));
        return c.json(await publicVideo(view, deps.openLink), 200);
      } catch (err) {
        if (err instanceof OperatorActionRefusedError) throw new HttpProblem(409, err.message);
        throw err;
      }
    });
  }
  return router;
}
