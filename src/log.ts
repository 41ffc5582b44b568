/**
 * The action's only way to print. Every message, the action's own words and the text it quotes alike,
 * passes forLog (boundary.ts) here, so that no call site can forget it: a connection name, a header or
 * a patch value in a message can never be read by the runner as a workflow command. Annotations are
 * neutralised too (their message is shown in the log and on the run's page); their properties are
 * the action's own (fixed titles, the patch-file path given as an input).
 */
import * as core from "@actions/core";
import { forLog } from "./boundary.ts";

export type Annotation = core.AnnotationProperties;

export function info(message: string): void {
  core.info(forLog(message));
}

export function debug(message: string): void {
  core.debug(forLog(message));
}

export function warning(message: string, properties: Annotation = {}): void {
  core.warning(forLog(message), properties);
}

export function error(message: string, properties: Annotation = {}): void {
  core.error(forLog(message), properties);
}
