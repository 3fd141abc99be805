export { default } from "./gateway";
