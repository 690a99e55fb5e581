package io.meshclient.spring.mtls;

import io.meshclient.spring.MeshClient;
import org.springframework.web.service.annotation.GetExchange;

/** The inventory service over HTTP; it answers with the caller's SPIFFE ID. */
@MeshClient("inventory")
public interface InventoryClient {

  @GetExchange("/whoami")
  String whoami();
}
