package io.meshclient.grpc.internal;

import io.grpc.ManagedChannel;

/**
 * One real channel below a mesh channel (plaintext, or mutual TLS) and the READY endpoints its
 * balancer publishes, which tell an attempt whether it can be picked on the caller's thread.
 */
public record Transport(ManagedChannel channel, ReadyEndpoints ready) {}
