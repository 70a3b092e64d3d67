// The broker logins of the benchmarks' servers: the server's own, and those it hands to pilots and drivers
// (without them their results go over REST).
export const BROKER_ENV = {
  PANDO_BROKER_USER: "pando",
  PANDO_BROKER_PASSWORD: "pando-bench",
  PANDO_BROKER_PILOT_USER: "pando-pilot",
  PANDO_BROKER_PILOT_PASSWORD: "pilot-bench",
  PANDO_BROKER_DRIVER_USER: "pando-driver",
  PANDO_BROKER_DRIVER_PASSWORD: "driver-bench",
};
