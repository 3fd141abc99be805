export { default } from "./router";
