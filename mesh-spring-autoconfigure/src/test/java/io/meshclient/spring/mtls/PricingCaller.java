package io.meshclient.spring.mtls;

import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.spring.MeshGrpcClient;
import org.springframework.stereotype.Component;

/** Calls the pricing service over gRPC; it answers with the caller's SPIFFE ID. */
@Component
public class PricingCaller {

  @MeshGrpcClient("pricing")
  SimpleServiceGrpc.SimpleServiceBlockingStub pricing;

  public String whoami() {
    return pricing.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("whoami").build())
        .getResponseMessage();
  }
}
