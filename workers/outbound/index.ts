export { default } from "./outbound";
