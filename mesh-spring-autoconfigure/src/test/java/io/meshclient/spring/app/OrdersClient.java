package io.meshclient.spring.app;

import io.meshclient.spring.MeshClient;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.service.annotation.GetExchange;

@MeshClient("orders")
public interface OrdersClient {

  @GetExchange("/orders/{id}")
  String get(@PathVariable String id);

  @GetExchange("/orders/{id}")
  String get(@PathVariable String id, @RequestHeader("x-canary") String canary);
}
