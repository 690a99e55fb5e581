package io.meshclient;

/** How an attempt ended when it ended without a response. */
public enum Outcome {
  /** The connection could not be made; nothing was sent. Always safe to retry. */
  CONNECT_FAILURE,
  /** The server refused the stream before processing it (HTTP/2 REFUSED_STREAM). Safe to retry. */
  REFUSED_STREAM,
  /** The connection broke after the request may have been sent. */
  RESET,
  /** The per-try timeout expired. */
  TIMEOUT,
  /** The caller cancelled, or the whole call's deadline expired: no fault of the endpoint. */
  CANCELLED,
  /** The response could not be read (malformed). Counts as an endpoint failure. */
  PROTOCOL_ERROR
}
