// Entry point of the machine's Web Worker: the machine service, exposed over comlink.
import * as Comlink from "comlink";
import { createMachineService } from "./machine-service.js";

Comlink.expose(createMachineService());
