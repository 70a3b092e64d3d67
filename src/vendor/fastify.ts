// Reached through src/vendor so that `npm run build` can load it as one file (see kysely.ts). Its types
// are imported from "fastify" itself.
import fastify from "fastify";

export default fastify;
