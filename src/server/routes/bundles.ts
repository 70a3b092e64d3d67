import type { FastifyInstance } from "fastify";
import { ApiError } from "../api-error.js";
import { principalOf } from "../http-util.js";
import type { Service } from "../service.js";

export function bundleRoutes(app: FastifyInstance, service: Service): void {
  app.put("/api/v1/bundles/:hash", async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) {
      throw new ApiError(415, "unsupported_media_type", "send the bundle as the raw body with Content-Type: application/octet-stream");
    }
    const { hash } = req.params as { hash: string };
    reply.code(201);
    return service.putBundle(principalOf(req), hash, req.body);
  });
  app.get("/api/v1/bundles/:hash", { exposeHeadRoute: false }, async (req, reply) => {
    const { hash } = req.params as { hash: string };
    const content = await service.getBundle(principalOf(req), hash);
    reply.type("application/octet-stream");
    return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  });
  app.head("/api/v1/bundles/:hash", async (req, reply) => {
    const { hash } = req.params as { hash: string };
    reply.code((await service.hasBundle(principalOf(req), hash)) ? 200 : 404);
    return "";
  });
}
