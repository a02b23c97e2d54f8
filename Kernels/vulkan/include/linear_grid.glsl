// Workgroups of a dispatch whose count may pass maxComputeWorkGroupCount[0] = 65,535: the host
// spreads them over x and y (x = min(count, 65535), y = ceil(count / x)) and numbers them
// x + y * width, so a few groups past the count may run: shaders must check the index.
uint linear_group() {
    return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

// This invocation's element in a dispatch of one element per invocation, `size` invocations per
// workgroup. (Not gl_WorkGroupSize: before the shader's local_size layout it is still (1, 1, 1).)
uint linear_invocation(uint size) {
    return linear_group() * size + gl_LocalInvocationID.x;
}
