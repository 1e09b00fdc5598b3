package api

import "github.com/gin-gonic/gin"

// mountV1 registers the REST API. Each area adds its routes in its own
// mount function, called from here.
func (s *Server) mountV1(v1 *gin.RouterGroup) {
	s.mountIdentity(v1)
	s.mountSenders(v1)
	s.mountTemplates(v1)
	s.mountInbox(v1)
	s.mountCases(v1)
	s.mountContacts(v1)
	s.mountCampaigns(v1)
}
