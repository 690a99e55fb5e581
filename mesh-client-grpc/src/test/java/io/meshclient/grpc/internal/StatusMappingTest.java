package io.meshclient.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import io.meshclient.Mesh;
import io.meshclient.MeshRejectedException;
import io.meshclient.Rejection;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.MeshPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the mesh's refusals read to a gRPC caller. */
class StatusMappingTest {

  private final ServiceHandle handle = Mesh.create(MeshPolicy.EMPTY).service("orders");

  private final MeshCallChannel interceptor =
      new MeshCallChannel(
          handle,
          Schedulers.shared(),
          new Transports(
              handle,
              c -> {
                throw new AssertionError("no channel is built here");
              },
              InsecureChannelCredentials.create(),
              null,
              false),
          false,
          List.of());

  @Test
  void refusalsAreUnavailableNamingServiceEndpointAndReason() {
    Status s = interceptor.rejected(Rejection.BREAKER_OPEN, "10.0.0.1:80");
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription())
        .isEqualTo(
            "meshclient rejected a call to service 'orders' (endpoint 10.0.0.1:80): "
                + Rejection.BREAKER_OPEN.description());
    assertThat(s.getCause()).isInstanceOf(MeshRejectedException.class);
  }

  @Test
  void aRefusalBecauseTheDeadlinePassedIsDeadlineExceeded() {
    Status s = interceptor.rejected(Rejection.DEADLINE_EXCEEDED, "10.0.0.1:80");
    assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(s.getDescription()).contains(Rejection.DEADLINE_EXCEEDED.description());
  }

  @Test
  void streamsTheServerNeverProcessedAreRefusedStreams() {
    // grpc-java's texts (NettyClientHandler) for a stream refused, or caught by a GOAWAY unsent.
    assertThat(MeshClientCall.isRefusedStream(Status.UNAVAILABLE.withDescription(
        "RST_STREAM closed stream. HTTP/2 error code: REFUSED_STREAM"))).isTrue();
    assertThat(MeshClientCall.isRefusedStream(Status.UNAVAILABLE.withDescription(
        "GOAWAY shut down transport. HTTP/2 error code: NO_ERROR, debug data: max_age"))).isTrue();
    assertThat(MeshClientCall.isRefusedStream(Status.UNAVAILABLE.withDescription(
        "Abrupt GOAWAY closed unsent stream. HTTP/2 error code: NO_ERROR"))).isTrue();
    // Sent before the GOAWAY: the server may have processed it.
    assertThat(MeshClientCall.isRefusedStream(Status.UNAVAILABLE.withDescription(
        "Abrupt GOAWAY closed sent stream. HTTP/2 error code: NO_ERROR"))).isFalse();
    assertThat(MeshClientCall.isRefusedStream(Status.UNAVAILABLE.withDescription("overloaded"))).isFalse();
  }
}
