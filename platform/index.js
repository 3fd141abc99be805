// The platform stack's entry point, where Pulumi looks for it (this folder): the program is
// compiled with the rest of the project (npm ci builds dist/). Pulumi refuses a `main` outside
// the project's folder, so this file forwards to it instead.
module.exports = require("../dist/platform/program.js");
