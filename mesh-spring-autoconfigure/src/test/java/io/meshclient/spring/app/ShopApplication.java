package io.meshclient.spring.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A small application calling mesh services through annotated HTTP interfaces. */
@SpringBootApplication
public class ShopApplication {}
