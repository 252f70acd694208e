/**
 * The steps that ship with sluice, named in a graph as `builtin:<name>`. An explicit object:
 * importing this module registers nothing anywhere.
 */
import type { StepClass } from "../contract.js";
import { Echo } from "./echo.js";
import { Filter } from "./filter.js";
import { Log } from "./log.js";
import { MapBody } from "./map.js";
import { SetFields } from "./set.js";

export const builtins: Readonly<Record<string, StepClass>> = Object.freeze({
  echo: Echo,
  set: SetFields,
  map: MapBody,
  filter: Filter,
  log: Log,
});

export { Echo, Filter, Log, MapBody, SetFields };
